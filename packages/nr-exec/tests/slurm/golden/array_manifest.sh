# nr-exec array manifest: job directory, working directory and command of each element
case "$SLURM_ARRAY_TASK_ID" in
0)
  nr_job_dir=/remote/root/jobs/sweep-0
  nr_workdir=/remote/root/jobs/sweep-0
  nr_line='export I=0 && exec bash /remote/root/jobs/sweep-0/scripts/sweep.sh'
  ;;
1)
  nr_job_dir=/remote/root/jobs/sweep-1
  nr_workdir=/remote/root/jobs/sweep-1
  nr_line='export I=1 && exec bash /remote/root/jobs/sweep-1/scripts/sweep.sh'
  ;;
2)
  nr_job_dir=/remote/root/jobs/sweep-2
  nr_workdir=/remote/root/jobs/sweep-2
  nr_line='export I=2 && exec bash /remote/root/jobs/sweep-2/scripts/sweep.sh'
  ;;
*) echo "nr-exec: no array element $SLURM_ARRAY_TASK_ID" >&2; exit 1 ;;
esac
