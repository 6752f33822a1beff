# SEC("tc")
# MAP: counts array key=u32 value=u64 max_entries=4
# MAP: owners hash key=u64 value="struct owner { struct task_struct __kptr *task; long hits; }"
# 64-bit immediates (two slots each) and map loads
	r1 = 0x1234 ll
	r2 = -1 ll
	r3 = 0x7fffffffffffffff ll
	r4 = 0x8000000000000000 ll
	r5 = 4294967296 ll
	r0 = 0 ll
	r1 = counts ll
	r1 = owners ll
	r0 = 0
	exit
