# SEC("iter/task")
# 1 stops the iteration; in range
	r0 = 1
	exit
