# SEC("tc")
# a static function called and returned from; the program is then refused (a scalar used as
# a pointer), so the level-1 log keeps the walk: caller:/callee: at the call, returning from
# callee:/to caller at N: at its exit
	r6 = 7
	r1 = 5
	call add_one
	r0 = *(u64 *)(r6 +0)  # R6 is a scalar
	exit
add_one:
	r0 = r1
	r0 += 1
	exit
