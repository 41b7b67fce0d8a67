#!/bin/bash
# sshd on 127.0.0.1:$NR_TESTBED_SSH_PORT (default 2222) with a generated host key and ONE client key that is
# authorized for both root and the non-root user nrtest. Usage: bash tools/testbed/ssh.sh install|up|down
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
D="$NR_TESTBED_DIR/ssh"
PORT=${NR_TESTBED_SSH_PORT:-2222}
USER_NAME=nrtest

ssh_install() {
  tb_apt_install openssh-server openssh-client openssh-sftp-server rsync
}

ssh_down() {
  tb_kill_pidfile "$D/sshd.pid" sshd 10
  tb_env_clear ssh
}

ssh_up() {
  ssh_down
  mkdir -p "$D" /run/sshd
  chmod 755 "$D"   # sshd reads authorized_keys as the target user (nrtest), so the dir must be traversable
  [ -f "$D/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$D/host_ed25519" -C nr-testbed-host
  [ -f "$D/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$D/client_ed25519" -C nr-testbed-client
  chmod 600 "$D/host_ed25519" "$D/client_ed25519"
  cp "$D/client_ed25519.pub" "$D/authorized_keys"; chmod 644 "$D/authorized_keys"

  if ! id -u "$USER_NAME" >/dev/null 2>&1; then
    useradd -m -d "/home/$USER_NAME" -s /bin/bash "$USER_NAME"
  fi
  usermod -p '*' "$USER_NAME"   # a fresh useradd account is locked; '*' = no password but not locked
  mkdir -p "/home/$USER_NAME"; chown "$USER_NAME:" "/home/$USER_NAME"

  cat >"$D/sshd_config" <<EOC
Port $PORT
ListenAddress 127.0.0.1
HostKey $D/host_ed25519
PidFile $D/sshd.pid
AuthorizedKeysFile $D/authorized_keys
PermitRootLogin prohibit-password
AllowUsers root $USER_NAME
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
GatewayPorts no
X11Forwarding no
PrintMotd no
UseDNS no
MaxStartups 50:30:100
MaxSessions 50
Subsystem sftp internal-sftp
LogLevel INFO
EOC
  /usr/sbin/sshd -t -f "$D/sshd_config" || tb_die "sshd config test failed"
  tb_ns /usr/sbin/sshd -f "$D/sshd_config" -E "$D/sshd.log" || tb_die "sshd failed to start, see $D/sshd.log"
  tb_wait 10 "sshd pid file" test -s "$D/sshd.pid"
  local hk; hk=$(cut -d' ' -f1,2 "$D/host_ed25519.pub")
  printf '[127.0.0.1]:%s %s\n[localhost]:%s %s\n' "$PORT" "$hk" "$PORT" "$hk" >"$D/known_hosts"
  chmod 644 "$D/known_hosts"
  cat >"$D/ssh_config" <<EOC
Host nr-testbed nr-testbed-root
  HostName 127.0.0.1
  Port $PORT
  User root
  IdentityFile $D/client_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $D/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
Host nr-testbed-user
  HostName 127.0.0.1
  Port $PORT
  User $USER_NAME
  IdentityFile $D/client_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $D/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
EOC
  local u
  for u in root "$USER_NAME"; do
    tb_ns ssh -F none -p "$PORT" -i "$D/client_ed25519" -o IdentitiesOnly=yes -o UserKnownHostsFile="$D/known_hosts" \
      -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=10 "$u@127.0.0.1" true \
      || tb_die "ssh login as $u failed, see $D/sshd.log"
  done
  tb_env_set ssh NR_TESTBED_SSH=1 NR_TESTBED_SSH_HOST=127.0.0.1 NR_TESTBED_SSH_PORT="$PORT" \
    NR_TESTBED_SSH_ROOT_USER=root NR_TESTBED_SSH_USER="$USER_NAME" NR_TESTBED_SSH_KEY="$D/client_ed25519" \
    NR_TESTBED_SSH_KNOWN_HOSTS="$D/known_hosts" NR_TESTBED_SSH_CONFIG="$D/ssh_config"
}

case "${1:-}" in
  install) tb_require_root; tb_init_dirs; ssh_install ;;
  up) tb_require_root; tb_init_dirs; tb_netns_up; ssh_up ;;
  down) tb_require_root; ssh_down ;;
  *) echo "usage: $0 install|up|down" >&2; exit 2 ;;
esac
