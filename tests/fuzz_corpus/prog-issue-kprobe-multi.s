# SEC("kprobe.multi/*")
  r0 = 0
  exit
