# SEC("cgroup/skb")
# check_return_code() marks R0 precise before it checks the return range (enforce_retval:),
# so a level-2 log backtracks R0 at the exit; the value 2 is then outside [0, 1]
	r0 = 1
	r0 += 1
	exit
