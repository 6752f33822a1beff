// SEC("xdp")
// LICENSE("Dual BSD/GPL")
// header directives may be // comments too; the body exercises the lexical syntax
	r0 = 2            # a trailing comment
	r1 = 0x10         // another one
	r2 = 017          /* octal, as llvm-mc reads it */
	r3 = 0b101
	r1 = r2 ; r3 = r4
start: r5 = 1
	/* a block comment
	   over two lines */
	r6=r7
	r0 = *(u64*)(r10-8)
	if r5 != 0 goto start
	exit
