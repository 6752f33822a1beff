# SEC("tc")
# bpf_tcp_sock(): u32 fields, and bytes_received / bytes_acked as u64
	r1 = *(u64 *)(r1 + 168)
	if r1 == 0 goto out
	call bpf_tcp_sock
	if r0 == 0 goto out
	r2 = *(u64 *)(r0 + 88)         # bytes_acked
	r2 = *(u32 *)(r0 + 0)          # snd_cwnd
out:
	r0 = 0
	exit
