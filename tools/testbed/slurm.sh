#!/bin/bash
# Slurm 22.05 testbed: munge + MariaDB + slurmdbd + slurmctld + two slurmd (n1, n2) on one host.
# Usage: bash tools/testbed/slurm.sh install|up|down     (up.sh/down.sh call this)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
S="$NR_TESTBED_DIR/slurm"
CLUSTER=${NR_TESTBED_SLURM_CLUSTER:-nrtest}
CONF_DIR=/etc/slurm   # Debian's default: plain sbatch/sacct need no SLURM_CONF
DBD_PORT=6829

slurm_install() {
  tb_apt_install slurmctld slurmd slurm-client slurmdbd munge mariadb-server
}

slurm_down() {
  local f pids=()
  # slurmd/slurmctld/slurmdbd first (they flush state to slurmdbd/MariaDB), then MariaDB and munged
  for f in "$S/slurmd-n1.pid" "$S/slurmd-n2.pid" "$S/slurmctld.pid" "$S/slurmdbd.pid"; do
    pids+=($(tb_pidfile_pid "$f")); rm -f "$f"
  done
  tb_kill_pids 20 "${pids[@]}"
  pids=($(tb_pidfile_pid "$S/mysql/mysqld.pid") $(tb_pidfile_pid "$S/munged.pid"))
  rm -f "$S/mysql/mysqld.pid" "$S/munged.pid"
  tb_kill_pids 30 "${pids[@]}"
  tb_env_clear slurm
}

slurm_up() {
  slurm_down
  mkdir -p "$S"/{state,log,spool-n1,spool-n2,mysql}
  grep -qE '^127\.0\.0\.1[[:space:]]+n1[[:space:]]+n2' /etc/hosts || echo '127.0.0.1 n1 n2' >>/etc/hosts

  # munge: unix socket only; ours runs in the netns too (inherits nothing network-wise, harmless)
  [ -s /etc/munge/munge.key ] || { mungekey -c -f -k /etc/munge/munge.key; chown munge:munge /etc/munge/munge.key; chmod 600 /etc/munge/munge.key; }
  mkdir -p /run/munge && chown munge:munge /run/munge
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    tb_log "munged already running (not started by the testbed; left alone)"
  else
    rm -f /run/munge/munged.pid
    tb_ns runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
    tb_wait 10 munged bash -c 'munge -n | unmunge'
    cp /run/munge/munged.pid "$S/munged.pid"
  fi

  # MariaDB on 127.0.0.1:3306, data under the testbed dir
  chown mysql:mysql "$S/mysql"
  if [ ! -d "$S/mysql/data/mysql" ]; then
    mariadb-install-db --user=mysql --datadir="$S/mysql/data" --auth-root-authentication-method=socket \
      >"$S/log/mariadb-install.log" 2>&1 || tb_die "mariadb-install-db failed, see $S/log/mariadb-install.log"
  fi
  tb_ns setsid mariadbd --user=mysql --datadir="$S/mysql/data" --socket="$S/mysql/mysql.sock" \
    --pid-file="$S/mysql/mysqld.pid" --bind-address=127.0.0.1 --port=3306 --skip-name-resolve \
    </dev/null >"$S/log/mariadbd.log" 2>&1 &
  tb_wait 60 "MariaDB (see $S/log/mariadbd.log)" mariadb -S "$S/mysql/mysql.sock" -e 'select 1'
  mariadb -S "$S/mysql/mysql.sock" -e "CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurmpw';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1'; FLUSH PRIVILEGES;"

  cat >"$CONF_DIR/slurmdbd.conf" <<EOC
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$DBD_PORT
SlurmUser=root
PidFile=$S/slurmdbd.pid
LogFile=$S/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=3306
StorageUser=slurm
StoragePass=slurmpw
StorageLoc=slurm_acct_db
EOC
  chmod 600 "$CONF_DIR/slurmdbd.conf"

  cat >"$CONF_DIR/slurm.conf" <<EOC
# written by tools/testbed/slurm.sh
ClusterName=$CLUSTER
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
AuthType=auth/munge
# cred_expire also sets how long a requeued job waits before it may start again (default
# 120 s); 10 s keeps requeue tests short.
AuthInfo=cred_expire=10
CredType=cred/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool-%n
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd-%n.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobCompType=jobcomp/filetxt
JobCompLoc=$S/log/jobcomp.log
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$DBD_PORT
JobAcctGatherType=jobacct_gather/linux
JobRequeue=1
MaxArraySize=1001
# Array tasks count as jobs, and ended jobs stay counted for MinJobAge: room for a 10,000-task
# sweep (tools/bench/bench_slurm_array_10000.py) beside other jobs. A change needs a slurmctld restart.
MaxJobCount=50000
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
Waittime=0
NodeName=n1 NodeHostname=localhost NodeAddr=127.0.0.1 Port=6818 CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=4000 State=UNKNOWN
NodeName=n2 NodeHostname=localhost NodeAddr=127.0.0.1 Port=6820 CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP
EOC

  tb_ns slurmdbd || tb_die "slurmdbd failed to start, see $S/log/slurmdbd.log"
  tb_wait 30 "slurmdbd on 127.0.0.1:$DBD_PORT (see $S/log/slurmdbd.log)" tb_port_open $DBD_PORT
  # register the cluster before slurmctld starts, so accounting works from the first job
  tb_ns sacctmgr -i -Q add cluster "$CLUSTER" >/dev/null 2>&1 || true
  tb_ns sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER" || tb_die "sacctmgr could not register cluster $CLUSTER"

  # -c: a (re)started testbed begins with no jobs (a leftover running job would keep a node busy)
  tb_ns slurmctld -c -i || tb_die "slurmctld failed, see $S/log/slurmctld.log"
  tb_ns slurmd -N n1 || tb_die "slurmd n1 failed, see $S/log/slurmd-n1.log"
  tb_ns slurmd -N n2 || tb_die "slurmd n2 failed, see $S/log/slurmd-n2.log"
  tb_wait 60 "both Slurm nodes idle (see $S/log/)" bash -c \
    "[ \"\$(nsenter --net=$(tb_netns_path) -- sinfo -h -N -o '%N %T' | sort | tr '\n' ' ')\" = 'n1 idle n2 idle ' ]"
  tb_ns sacct -n -X >/dev/null || tb_die "sacct does not work (slurmdbd accounting)"
  tb_env_set slurm NR_TESTBED_SLURM=1 SLURM_CONF="$CONF_DIR/slurm.conf" NR_TESTBED_SLURM_PARTITION=debug \
    NR_TESTBED_SLURM_CLUSTER="$CLUSTER" NR_TESTBED_SLURM_NODES=n1,n2
}

case "${1:-}" in
  install) tb_require_root; tb_init_dirs; slurm_install ;;
  up) tb_require_root; tb_init_dirs; tb_netns_up; slurm_up ;;
  down) tb_require_root; slurm_down ;;
  *) echo "usage: $0 install|up|down" >&2; exit 2 ;;
esac
