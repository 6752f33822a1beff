# SEC("tc")
  call 999
  call -1
  (85) call kernel-function#2000000000
  r0 = 0
  exit
