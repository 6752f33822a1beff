# SEC("tc")
# ARG_ANYTHING still has to be initialized
	r2 = 0
	call bpf_skb_vlan_push         # bug: R3 (vlan_tci) never set
	r0 = 0
	exit
