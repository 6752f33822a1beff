# SEC("socket")
# a static subprogram may exit with R0 unset: prepare_func_exit() hands R0 back as it is, and
# only a read of it in the caller would be refused; here the caller sets R0 itself
	call sub
	r0 = 0
	exit
sub:
	r1 = 1
	exit
