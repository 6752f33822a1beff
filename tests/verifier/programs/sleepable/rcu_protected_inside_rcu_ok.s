# SEC("syscall")
# bpf_iter_task_new/next/destroy inside bpf_rcu_read_lock, reading the pid of the first task
	call bpf_rcu_read_lock
	r1 = r10
	r1 += -24
	r2 = 0
	r3 = 0
	call bpf_iter_task_new
	r1 = r10
	r1 += -24
	call bpf_iter_task_next
	if r0 == 0 goto done
	r6 = *(u32 *)(r0 + 1264)
done:
	r1 = r10
	r1 += -24
	call bpf_iter_task_destroy
	call bpf_rcu_read_unlock
	r0 = 0
	exit
