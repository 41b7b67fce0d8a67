# nr-exec array manifest: job directory, working directory, command and bundled
# files (their directory in the bundle, or nothing) of each element
case "$SLURM_ARRAY_TASK_ID" in
0)
  nr_job_dir=/remote/root/jobs/sweep-0
  nr_workdir=/remote/root/jobs/sweep-0
  nr_line='export I=0 && exec bash /remote/root/jobs/sweep-0/scripts/sweep.sh'
  nr_unpack=jobs/sweep-0
  ;;
1)
  nr_job_dir=/remote/root/jobs/sweep-1
  nr_workdir=/remote/root/jobs/sweep-1
  nr_line='export I=1 && exec bash /remote/root/jobs/sweep-1/scripts/sweep.sh'
  nr_unpack=jobs/sweep-1
  ;;
2)
  nr_job_dir=/remote/root/jobs/sweep-2
  nr_workdir=/remote/root/jobs/sweep-2
  nr_line='export I=2 && exec bash /remote/root/jobs/sweep-2/scripts/sweep.sh'
  nr_unpack=jobs/sweep-2
  ;;
*) echo "nr-exec: no array element $SLURM_ARRAY_TASK_ID" >&2; exit 1 ;;
esac
