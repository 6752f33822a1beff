# SEC("xdp")
# conditional jumps of both widths against registers and immediates, labels and numeric offsets
	r0 = 2
	r1 = 1
	r2 = 2
top:
	if r1 == r2 goto out
	if r1 != r2 goto +0
	if r1 > r2 goto +0
	if r1 >= r2 goto +0
	if r1 < r2 goto +0
	if r1 <= r2 goto +0
	if r1 s> r2 goto +0
	if r1 s>= r2 goto +0
	if r1 s< r2 goto +0
	if r1 s<= r2 goto +0
	if r1 == 0 goto out
	if r1 != -1 goto +1
	if r1 > 0x7fffffff goto +0
	if r1 >= 1 goto +0
	if r1 < 2 goto +0
	if r1 <= 3 goto +0
	if r1 s> -3 goto +0
	if r1 s>= -2 goto +0
	if r1 s< 5 goto +0
	if r1 s<= 6 goto +0
	if w1 == w2 goto out
	if w1 != w2 goto +0
	if w1 > w2 goto +0
	if w1 >= w2 goto +0
	if w1 < w2 goto +0
	if w1 <= w2 goto +0
	if w1 s> w2 goto +0
	if w1 s>= w2 goto +0
	if w1 s< w2 goto +0
	if w1 s<= w2 goto +0
	if w1 == 0 goto +0
	if w1 != 0xffffffff goto +0
	if w1 > 1 goto +0
	if w1 >= 1 goto +0
	if w1 < 1 goto +0
	if w1 <= 1 goto +0
	if w1 s> 1 goto +0
	if w1 s>= 1 goto +0
	if w1 s< -1 goto +0
	if w1 s<= -1 goto +0
	r1 += 1
	if r1 < 10 goto top
	if r1 == 5 goto +1
	r1 = 3
	if r1 > 100 goto -2
	goto out
out:
	exit
