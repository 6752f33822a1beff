# SEC("xdp")
  r0 = 0
  exit
