"""Every message the kernel's verifier prints that kfunclab reproduces, quoted exactly, once.

Each constant is a ``str.format`` template (or a plain string) with a comment naming the kernel
function in ``kernel/bpf/verifier.c`` (6.18 unless said otherwise) that prints it. Code elsewhere
never spells a kernel message itself: it formats one of these, so a wording fix is one edit here.
"""

from __future__ import annotations

# --- check_cfg / check_subprogs / check_jmp_offsets: static checks before exploration ---------
#
# Checked by kfunclab.verifier.cfg.check_cfg, in the order bpf_check() runs them. "live" = the
# wording and the instruction index were confirmed on Linux 6.18 by loading the program into the
# live kernel (kfunclab.kernel.kernel_verdict, or, for inputs llvm-mc cannot write, raw bytes
# handed to bpf_prog_load); the kernel prints each one as the last line before "processed ...".

#: Not a kernel string. bpf_prog_load() (kernel/bpf/syscall.c) refuses an empty program, or one
#: longer than BPF_COMPLEXITY_LIMIT_INSNS (1000000; BPF_MAXINSNS = 4096 without CAP_BPF), with
#: E2BIG before the verifier runs, so the log is empty; kernel-verdict reports it in these words.
#: Live (empty program: errno 7, empty log).
EMPTY_LOG_REFUSAL = "errno {errno} ({name}), empty verifier log"
#: add_subprog_and_kfunc(): a BPF-to-BPF call, kfunc call or ld_imm64 of a function without
#: CAP_BPF/CAP_SYS_ADMIN. Not confirmed live: this machine has unprivileged_bpf_disabled=2, so an
#: unprivileged load is refused with EPERM and an empty log before the verifier runs.
CALLS_NEED_CAP_BPF = (
    "loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN"
)
#: add_subprog(): call (or ld_imm64 of a function) whose target i + imm + 1 is outside the
#: program. Live (call pc+100, call pc-5, ld_imm64 src=4 imm=100; raw bytes).
CALL_TO_INVALID_DESTINATION = "call to invalid destination"
#: add_subprog(): a 257th subprogram (BPF_MAX_SUBPROGS = 256, main included); errno E2BIG.
#: Live (255 called subprograms load, 256 do not; raw bytes).
TOO_MANY_SUBPROGRAMS = "too many subprograms"
#: add_kfunc_call(): first kfunc call of a program whose license is not GPL-compatible; printed
#: before check_subprogs() runs. Live (LICENSE("MIT"), even with a later out-of-range jump).
KFUNC_NEEDS_GPL = "cannot call kernel function from non-GPL compatible program"
#: check_subprogs(): a jump or goto whose target leaves its subprogram (or the program); insn is
#: the jump, target = insn + off + 1. push_insn() in check_cfg() has the same words, but after
#: check_subprogs() it can no longer fire. Live (insn 1 -> 7, insn 0 -> -4, main -> subprog entry).
JUMP_OUT_OF_RANGE = "jump out of range from insn {insn} to {target}"
#: check_subprogs(): the last slot of a subprogram (main or BPF-to-BPF callee) is not exit, goto
#: or gotol, so control would fall into the next one or off the end; the same words for every
#: subprogram and no index. Live (main ending in r0 = 0, in a conditional jump, in an ld_imm64;
#: callee ending in r0 = 0).
LAST_INSN_NOT_EXIT_OR_JMP = "last insn is not an exit or jmp"
#: check_abnormal_return() via check_btf_info() when the program has no func_info (no BTF):
#: BPF_LD_ABS/IND in a subprogram other than main. Live (SEC("socket")).
LD_ABS_IN_SUBPROG_WITHOUT_BTF = "LD_ABS is not allowed in subprogs without BTF"
#: check_abnormal_return(): a bpf_tail_call helper call in a subprogram, no func_info. Live.
TAIL_CALL_IN_SUBPROG_WITHOUT_BTF = "tail_call is not allowed in subprogs without BTF"
#: resolve_pseudo_ldimm64(): an ld_imm64 whose second slot is missing or is not an empty tail.
#: Live (ld_imm64 head followed by exit; raw bytes).
INVALID_LD_IMM64 = "invalid bpf_ld_imm64 insn"
#: resolve_pseudo_ldimm64(): opcode not in the instruction table; in kfunclab only a stray
#: ld_imm64 tail slot (code 0x00). Live (raw code 0x00 slot: "unknown opcode 00").
UNKNOWN_OPCODE = "unknown opcode {code:02x}"
#: push_insn() in check_cfg(): a DFS back-edge (a loop) when the loader is not bpf_capable
#: (neither CAP_BPF nor CAP_SYS_ADMIN); a bpf_capable loader may loop. Not confirmed live: see
#: CALLS_NEED_CAP_BPF (unprivileged loads are refused with EPERM on this machine).
BACK_EDGE = "back-edge from insn {insn} to {target}"
#: check_cfg(): the first slot, in index order, that the DFS from insn 0 never explored.
#: Live ("unreachable insn 2" after exit; "unreachable insn 1" after "l: goto l" at insn 0).
UNREACHABLE_INSN = "unreachable insn {insn}"
#: check_cfg(): a jump lands on the second slot of the ld_imm64 at insn (the head's index).
#: Live (insn 1 "if r0 == 0 goto +1" over the head at 2: "... ldimm64 insn 2").
JUMP_INTO_MIDDLE_OF_LDIMM64 = "jump into the middle of ldimm64 insn {insn}"
#: is_state_visited() during exploration (not a static check; for the explorer): a state at a
#: prune point equal to one of its own ancestors, e.g. "l: goto l" reached by a privileged
#: loader. Live (r0 = 0; if r0 == 1 goto +1; goto -1; exit: "infinite loop detected at insn 2").
INFINITE_LOOP_DETECTED = "infinite loop detected at insn {insn}"
#: check_ld_imm() during exploration: BPF_LD|BPF_IMM with a size other than DW. Unreachable in
#: 6.18: resolve_pseudo_ldimm64() rejects such opcodes first as UNKNOWN_OPCODE (live, code 0x00).
INVALID_BPF_LD_IMM = "invalid BPF_LD_IMM insn"

# --- do_check / is_state_visited: exploration -------------------------------------------------
# do_check(): the complexity budget
PROGRAM_TOO_LARGE = "BPF program is too large. Processed {processed} insn"
# push_stack(): too many pending branches
JUMP_SEQUENCE_TOO_COMPLEX = "The sequence of {count} jumps is too complex."

# --- check_reg_arg / check_alu_op / check_mem_access: registers and memory -----------------------
# check_reg_arg(): reading a register never written
REG_NOT_READ_OK = "R{regno} !read_ok"
# check_reg_arg(): writing r10
FRAME_POINTER_READ_ONLY = "frame pointer is read only"
# check_mem_access(): dereferencing something that is not a pointer to memory
INVALID_MEM_ACCESS = "R{regno} invalid mem access '{type}'"
# check_ctx_access(): a field of the context the program type may not read/write this way
INVALID_CTX_ACCESS = "invalid bpf_context access off={off} size={size}"
# check_stack_access_within_bounds()
INVALID_STACK_ACCESS = "invalid {kind} stack R{regno} off={off} size={size}"
# check_stack_read_fixed_off(): reading bytes never written, unprivileged
INVALID_STACK_READ = "invalid read from stack off {off}+{byte} size {size}"
# check_ptr_alignment(): misaligned stack access
MISALIGNED_STACK = "misaligned stack access off {tn}+{off}+{extra} size {size}"
# check_ptr_to_btf_access()
BTF_ACCESS_BEYOND = "access beyond struct {name} at off {off} size {size}"
# check_ptr_to_btf_access(): writes to kernel structs
BTF_WRITE_ONLY_ALLOWED = "only read is supported"
# check_ptr_to_btf_access(): negative offset
BTF_NEGATIVE_OFFSET = "R{regno} is ptr_{name} invalid negative access: off={off}"
# check_ptr_to_btf_access(): variable offset
BTF_VARIABLE_OFFSET = "R{regno} is ptr_{name} invalid variable offset: off={off}, var_off={var_off}"
# check_mem_region_access() / __check_mem_access()
INVALID_MAP_VALUE_ACCESS = "invalid access to map value, value_size={size} off={off} size={access}"
#: check_map_access_type(): a store into a map the program may only read (BPF_F_RDONLY_PROG).
MAP_WRITE_FORBIDDEN = "write into map forbidden, value_size={size} off={off} size={access}"
INVALID_MEM_REGION_ACCESS = "invalid access to memory, mem_size={size} off={off} size={access}"
# check_mem_region_access(): which bound of a (possibly variable) offset failed
MEM_MIN_OUTSIDE = "R{regno} min value is outside of the allowed memory range"
MEM_MAX_OUTSIDE = "R{regno} max value is outside of the allowed memory range"
# check_stack_access_within_bounds(): a variable offset of 1 << 29 (BPF_MAX_VAR_OFF) or more
STACK_UNBOUNDED_VAR_OFF = "invalid unbounded variable-offset{extra} stack R{regno}"
MEM_UNBOUNDED = "R{regno} unbounded memory access, make sure to bounds check any such access"
# __check_mem_access() and check_packet_access()
PACKET_ACCESS = (
    "invalid access to packet, off={off} size={size}, R{regno}(id={id},off={off},r={range})")
PACKET_OUTSIDE = "R{regno} offset is outside of the packet"
# check_map_access(): a read of a referenced kptr field with a plain load is fine, a store is not
KPTR_STORE_NOT_ALLOWED = "store to referenced kptr disallowed"
# check_mem_access(): R0 at exit and writes into read-only memory
WRITE_INTO_RDONLY = "R{regno} cannot write into {type}"
# check_alu_op(): pointer arithmetic the verifier does not allow
POINTER_ARITH_PROHIBITED = "R{regno} pointer arithmetic on {type} prohibited"
POINTER_ARITH_NULL = "R{regno} pointer arithmetic on {type} prohibited, null-check it first"
POINTER_ARITH_BAD_OP = "R{regno} {op} pointer prohibited"
# check_reg_sane_offset(): a scalar whose smin is S64_MIN added to a pointer
PTR_MATH_UNBOUNDED_MIN = (
    "math between {type} pointer and register with unbounded min value is not allowed")
PTR_MATH_CONST_TOO_BIG = "math between {type} pointer and {val} is not allowed"
PTR_OFFSET_TOO_BIG = "{type} pointer offset {off} is not allowed"
PTR_OUT_OF_BOUNDS = "value {val} makes {type} pointer be out of bounds"
POINTER_ALU32 = "R{regno} 32-bit pointer arithmetic prohibited"
POINTER_POINTER_ARITH = "R{regno} pointer -= pointer prohibited"
# check_alu_op(): division by a known zero constant
DIV_BY_ZERO = "div by zero"
# check_alu_op(): shift amount
INVALID_SHIFT = "invalid shift {amount}"
# check_cond_jmp_op(): comparing pointers
POINTER_COMPARISON = "R{regno} pointer comparison prohibited"
# check_return_code() / process_bpf_exit_full()
R0_NOT_READ_OK = "R0 !read_ok"
R0_LEAKS_ADDR = "R0 leaks addr as return value"
AT_EXIT_RETURN_RANGE = "At program exit the register R0 has {value} should have been in {range}"
# check_stx(): storing a pointer into memory other than the stack/map
LEAKS_ADDR_INTO_MEM = "R{regno} leaks addr into mem"
LEAKS_ADDR_INTO_CTX = "R{regno} leaks addr into ctx"
# check_ld_imm(): map loads
MAP_NOT_FOUND = "fd {fd} is not pointing to valid bpf_map"
#: resolve_pseudo_ldimm64(): a BPF_PSEUDO_MAP_VALUE offset past the value (errno EINVAL).
MAP_VALUE_OFF_TOO_BIG = "invalid access to map value pointer, value_size={size} off={off}"

# --- check_helper_call: BPF helpers -----------------------------------------------------------
INVALID_FUNC = "invalid func unknown#{imm}"
HELPER_NOT_ALLOWED = "program of this type cannot use helper {name}#{imm}"
HELPER_GPL_ONLY = "cannot call GPL-restricted function from non-GPL compatible program"
ARG_TYPE_MISMATCH = "R{regno} type={type} expected={expected}"
# check_func_arg_reg_off(): OBJ_RELEASE argument without a reference
RELEASE_ARG_NOT_REFERENCED = "R{regno} must be referenced when passed to release function"
HELPER_REF_NOT_ACQUIRED = "func {name}#{imm} reference has not been acquired before"
MAP_VALUE_SIZE_ACCESS = "invalid indirect access to stack R{regno} off={off} size={size}"
INVALID_INDIRECT_READ = "invalid read from stack R{regno} off {off}+{byte} size {size}"
UNBOUNDED_MEM_ACCESS = (
    "R{regno} unbounded memory access, use 'var &= const' or 'if (var < const)'"
)
NEGATIVE_MEM_SIZE = (
    "R{regno} min value is negative, either use unsigned or 'var &= const'"
)
ZERO_SIZE_NOT_ALLOWED = "R{regno} invalid zero-sized read: u64=[{umin},{umax}]"
KPTR_XCHG_NOT_KPTR = "R1 doesn't have constant offset. kptr has to be at the constant offset"
KPTR_XCHG_NO_KPTR_AT_OFF = "off={off} doesn't point to kptr"
# check_reg_type(): bpf_kptr_xchg's ARG_KPTR_XCHG_DEST and ARG_PTR_TO_BTF_ID_OR_NULL type lists
KPTR_XCHG_DST_TYPES = "map_value, ptr_"
KPTR_XCHG_NEW_TYPES = "ptr_, trusted_ptr_, rcu_ptr_"
# map_kptr_match_type(): the new pointer's struct is not the kptr field's
KPTR_XCHG_TYPE_MISMATCH = "invalid kptr access, R2 type={type} expected=ptr_{want}"
# check_map_func_compatibility(): map_type is the number of enum bpf_map_type
MAP_TYPE_FOR_FUNC = "cannot pass map_type {map_type} into func {func}"
KPTR_XCHG_WRONG_TYPE = "kptr access cannot have variable offset"

# do_check_insn(): calls inside a bpf_spin_lock-ed region
CALL_WHILE_LOCKED = "function calls are not allowed while holding a lock"
# process_spin_lock()
SPIN_LOCK_VAR_OFFSET = (
    "R{regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset")
SPIN_LOCK_NONE = "{kind} '{name}' has no valid bpf_spin_lock"
SPIN_LOCK_WRONG_OFFSET = "off {off} doesn't point to 'struct bpf_spin_lock' that is at {lock_off}"
SPIN_LOCK_TWICE = "Locking two bpf_spin_locks are not allowed"
SPIN_UNLOCK_WITHOUT_LOCK = "{name}_unlock without taking a lock"
SPIN_UNLOCK_DIFFERENT = "{name}_unlock of different lock"

# __add_used_map() (resolve_pseudo_ldimm64): more than MAX_USED_MAPS distinct maps
TOO_MANY_MAPS = "The total number of maps per program has reached the limit of {limit}"
# check_max_stack_depth(): a call chain's frames need more than MAX_BPF_STACK bytes
COMBINED_STACK_TOO_LARGE = "combined stack size of {frames} calls is {depth}. Too large"
# stack_slot_obj_get_spi(): a dynptr / iter / irq_flag slot not at a constant, aligned offset
STACK_OBJ_NOT_CONST = "{kind} has to be at a constant offset"
STACK_OBJ_AT_OFFSET = "cannot pass in {kind} at an offset={off}"

# --- check_kfunc_call / check_kfunc_args: kfuncs -------------------------------------------------
# fetch_kfunc_meta()
KFUNC_NOT_ALLOWED = "calling kernel function {name} is not allowed"
# bpf_dev_bound_kfunc_check() from add_kfunc_call(): an XDP metadata kfunc, no device binding
KFUNC_NEEDS_DEV_BOUND = "metadata kfuncs require device-bound program"
# add_kfunc_call(): a call name that is no kfunc at all
KFUNC_NOT_FOUND = "kernel btf_id {btf_id} is not a function"
# check_kfunc_call(): KF_DESTRUCTIVE
KFUNC_DESTRUCTIVE = "destructive kfunc calls require CAP_SYS_BOOT capability"
# check_kfunc_call(): KF_SLEEPABLE
KFUNC_SLEEPABLE_IN_NON_SLEEPABLE = "program must be sleepable to call sleepable kfunc {name}"
KFUNC_SLEEPABLE_IN_RCU = "kernel func {name} is sleepable within rcu_read_lock region"
KFUNC_SLEEPABLE_IN_PREEMPT = "kernel func {name} is sleepable within non-preemptible region"
KFUNC_SLEEPABLE_IN_IRQ = "kernel func {name} is sleepable within IRQ-disabled region"
RCU_NESTED = "nested rcu read lock (kernel function {name})"
RCU_UNMATCHED_UNLOCK = "unmatched rcu read unlock (kernel function {name})"
PREEMPT_UNMATCHED_ENABLE = "unmatched attempt to enable preemption (kernel function {name})"
# check_kfunc_call(): KF_RCU_PROTECTED (6.18)
KFUNC_RCU_PROTECTED = "kernel func {name} requires RCU critical section protection"
# check_kfunc_call(): KF_RELEASE whose argument was not acquired
KFUNC_REF_NOT_ACQUIRED = "kfunc {name}#{btf_id} reference has not been acquired before"
KFUNC_RELEASE_NO_REF = "release kernel function {name} expects refcounted PTR_TO_BTF_ID"
KFUNC_ACQUIRE_NOT_BTF = "acquire kernel function does not return PTR_TO_BTF_ID"
# check_kfunc_args()
KFUNC_TOO_MANY_ARGS = "Function {name} has {count} > {max} args"
KFUNC_ARG_NOT_SCALAR = "R{regno} is not a scalar"
KFUNC_ARG_NOT_CONST = "R{regno} must be a known constant"
KFUNC_ARG_NOT_CONST_BUF = "R{regno} is not a const"
KFUNC_POSSIBLY_NULL = "Possibly NULL pointer passed to trusted arg{arg}"
KFUNC_NOT_TRUSTED = "R{regno} must be referenced or trusted"
KFUNC_NOT_RCU = "R{regno} must be a rcu pointer"
KFUNC_BAD_OFFSET = (
    "R{regno} must have zero offset when passed to release func or trusted arg to kfunc"
)
KFUNC_EXPECTED_CTX = "arg#{arg} expected pointer to ctx, but got {type}"
KFUNC_BTF_MISMATCH = (
    "kernel function {name} args#{arg} expected pointer to {exp_kind} {exp_name} "
    "but R{regno} has a pointer to {got_kind} {got_name}"
)
KFUNC_BTF_ARG_TYPE = "arg#{arg} is {type} expected {expected} or socket"
KFUNC_MEM_NOT_SCALAR_STRUCT = (
    "arg#{arg} pointer type {kind} {name} must point to {void}scalar, or struct with scalar"
)
KFUNC_MEM_LEN_PAIR = "arg#{arg} arg#{size_arg} memory, len pair leads to invalid memory access"
KFUNC_PTR_TYPE_NOT_SUPPORTED = (
    "kernel function {name} args#{arg} pointer type {kind} {tname} is not supported")
KFUNC_RET_PTR_NOT_SUPPORTED = (
    "kernel function {name} returns pointer type {kind} {tname} is not supported")
KFUNC_UNRECOGNIZED_ARG = "Unrecognized arg#{arg} type {type}"
KFUNC_CONST_STR = "arg#{arg} doesn't point to a const string"
KFUNC_ALLOC_EXPECTED = "arg#{arg} expected pointer to allocated object"
KFUNC_ALLOC_NOT_REFERENCED = "allocated object must be referenced"
KFUNC_OBJ_NEW_NEEDS_BTF = "bpf_obj_new/bpf_percpu_obj_new requires prog BTF"
KFUNC_OBJ_NEW_TYPE = "bpf_obj_new/bpf_percpu_obj_new type ID argument must be of a struct"
KFUNC_RDONLY_CAST_NOT_STRUCT = "arg#{arg} is not a struct: {name}"
# check_special_kfunc(): bpf_rdonly_cast's btf_id__k must name a struct/union (btf_type_is_struct)
# or be void (0); modifiers are not skipped, so a typedef or const is refused too
KFUNC_RDONLY_CAST_TYPE = "kfunc bpf_rdonly_cast type ID argument must be of a struct or void"
KFUNC_RDONLY_CAST_UNKNOWN = "Unknown type ID {value} passed to kfunc bpf_rdonly_cast"
# process_kf_arg_ptr_to_kptr() and get_kfunc_ptr_arg_type(), Linux 6.2/6.3 only (KF_KPTR_GET was
# removed in 6.4): the doc profile's messages
KPTR_GET_EXPECTED_MAP_VALUE = "arg#0 expected pointer to map value"
KPTR_GET_CONST_OFFSET = "arg#0 must have constant offset"
KPTR_GET_NO_KPTR = "arg#0 no referenced kptr at map value offset={off}"
KPTR_GET_WRONG_TYPE = "kernel function {name} args#{arg} expected pointer to {kind} {tname}"
# process_dynptr_func(): "arg #" is regno - 1, the 0-based argument (live 6.18: arg #0 for R1)
DYNPTR_EXPECTED_INIT = "Expected an initialized dynptr as arg #{arg}"
DYNPTR_EXPECTED_UNINIT = "Dynptr has to be an uninitialized dynptr"
DYNPTR_NOT_ON_STACK = "arg#{arg} expected pointer to stack or const struct bpf_dynptr"
# process_iter_arg()
ITER_EXPECTED_UNINIT = "expected uninitialized iter_{name} as arg #{arg}"
ITER_EXPECTED_INIT = "expected an initialized iter_{name} as arg #{arg}"
# is_iter_reg_valid_init() == -EPROTO: a KF_RCU_PROTECTED iterator used after rcu_read_unlock
ITER_EXPECTED_RCU_CS = "expected an RCU CS when using {name}"
ITER_NOT_ON_STACK = "arg#{arg} expected pointer to an iterator on stack"
# process_irq_flag()
IRQ_FLAG_NOT_STACK = "arg#{arg} doesn't point to an irq flag on stack"
IRQ_FLAG_EXPECTED_UNINIT = "expected uninitialized irq flag as arg#{arg}"
IRQ_FLAG_EXPECTED_INIT = "expected an initialized irq flag as arg#{arg}"
IRQ_RESTORE_OUT_OF_ORDER = (
    "cannot restore irq state out of order, expected id={expected} acquired at insn_idx={insn}")

# --- process_bpf_exit_full / check_resource_leak: leaks at exit -------------------------------
UNRELEASED_REFERENCE = "Unreleased reference id={id} alloc_insn={insn}"
LEAK_AT_EXIT = "{prefix} would lead to reference leak"
LOCK_AT_EXIT = "{prefix} cannot be used inside bpf_spin_lock-ed region"
IRQ_AT_EXIT = "{prefix} cannot be used inside bpf_local_irq_save-ed region"
RCU_AT_EXIT = "{prefix} cannot be used inside bpf_rcu_read_lock-ed region"
PREEMPT_AT_EXIT = "{prefix} cannot be used inside bpf_preempt_disable-ed region"
EXIT_PREFIX_MAIN = "BPF_EXIT instruction in main prog"

# --- bpf_check / bpf_prog_load: refusals before or around verification --------------------------
SYSCALL_MUST_BE_SLEEPABLE = "Syscall programs can only be sleepable"

# --- check_ld_abs(): legacy packet loads ---
# may_access_skb() is false for the program type
LD_ABS_NOT_ALLOWED = "BPF_LD_[ABS|IND] instructions not allowed for this program type"
LD_ABS_R6_NOT_CTX = "at the time of BPF_LD_ABS|IND R6 != pointer to skb"

# --- dynptrs (helpers and kfuncs): process_dynptr_func, check_func_arg, check_helper_call ---------
# destroy_if_dynptr_stack_slot(): a write over (or a new dynptr on) a ringbuf dynptr's slots
DYNPTR_OVERWRITE_REF = "cannot overwrite referenced dynptr"
# process_dynptr_func(): a helper that mutates its dynptr given a callback's const dynptr
DYNPTR_CONST_MUTATED = "cannot pass pointer to const bpf_dynptr, the helper mutates it"
# process_dynptr_func(): is_dynptr_type_expected() failed
DYNPTR_WRONG_TYPE = "Expected a dynptr of type {type} as arg #{arg}"
# check_func_arg(): OBJ_RELEASE of a dynptr that holds no reference / a callback's const dynptr
DYNPTR_UNACQUIRED = "arg {regno} is an unacquired reference"
DYNPTR_RELEASE_CONST = "cannot release unowned const bpf_dynptr"
# check_reg_type(): ARG_PTR_TO_DYNPTR takes dynptr_types (PTR_TO_STACK, CONST_PTR_TO_DYNPTR)
DYNPTR_ARG_EXPECTED = "fp, dynptr_ptr"
# check_stack_range_initialized(): raw (uninit) helper memory over a dynptr's slots
DYNPTR_POTENTIAL_WRITE = "potential write to dynptr at off={off} disallowed"
# check_helper_call(), BPF_FUNC_dynptr_from_mem: the data must be a map value
DYNPTR_FROM_MEM_TYPE = "Unsupported reg type {type} for bpf_dynptr_from_mem data"
# check_func_arg(), ARG_CONST_ALLOC_SIZE_OR_ZERO (bpf_dynptr_data's len); the quote is the kernel's
HELPER_ARG_NOT_CONST = "R{regno} is not a known constant'"
# check_kfunc_call(), KF_bpf_dynptr_slice_rdwr: may_access_direct_pkt_data(env, NULL, BPF_WRITE)
DYNPTR_SLICE_RDWR_NO_WRITES = "the prog does not allow writes to packet data"
# the same call on patched 6.18 builds (probed: the live switch dynptr_slice_rdwr_refused), EPERM
DYNPTR_SLICE_RDWR_REFUSED = "bpf_dynptr_slice_rdwr() is not allowed"

# --- helpers family: every helper from its bpf_func_proto (rules/helper_engine.py, sockets.py) --
#: check_sock_access() (a load through sock, sock_common, tcp_sock or xdp_sock)
SOCK_INVALID_ACCESS = "R{regno} invalid {type} access off={off} size={size}"
SOCK_NEGATIVE_MIN = ("R{regno} min value is negative, either use unsigned index or do a "
                     "if (index >=0) check.")
#: check_func_arg(): ARG_ANYTHING given a pointer by a loader that may not leak it
ARG_LEAKS_ADDR = "R{regno} leaks addr into helper function"
#: check_helper_call(): fn->might_sleep in a program that may not sleep
HELPER_MIGHT_SLEEP = "helper call might sleep in a non-sleepable prog"
#: check_helper_call(): a sleepable helper inside bpf_rcu_read_lock()
HELPER_SLEEP_IN_RCU = "sleepable helper {name}#{imm} in rcu_read_lock region"
#: check_reg_type(): a maybe-NULL PTR_TO_BTF_ID where the argument may not be NULL
HELPER_POSSIBLY_NULL = "Possibly NULL pointer passed to helper arg{regno}"
#: check_reg_type(): a trusted PTR_TO_BTF_ID as memory a helper writes
HELPER_MAY_WRITE_BTF = "{name}() may write into memory pointed by R{regno} type={type}"
#: check_reg_type(): btf_struct_ids_match() failed
HELPER_BTF_MISMATCH = "R{regno} is of type {type} but {expected} is expected"
#: check_reg_const_str() (ARG_PTR_TO_CONST_STR)
CONST_STR_NOT_RDONLY = "R{regno} does not point to a readonly map'"
CONST_STR_NOT_CONST = "R{regno} is not a constant address'"
CONST_STR_NOT_TERMINATED = "string is not zero-terminated"
#: check_func_arg(): ARG_PTR_TO_MAP_KEY/VALUE before any ARG_CONST_MAP_PTR
MAP_KEY_NO_MAP = "invalid map_ptr to access map->key"
#: check_helper_call(): bpf_get_local_storage(map, flags) with flags != 0
LOCAL_STORAGE_FLAGS = "get_local_storage() doesn't support non-zero flags"
#: check_func_arg(): a packet pointer to a helper whose proto has no .pkt_access
HELPER_PKT_ACCESS = "helper access to the packet is not allowed"
#: check_map_prog_compatibility(): a map value with a bpf_spin_lock, by program type
SPIN_LOCK_IN_SOCKET_FILTER = "socket filter progs cannot use bpf_spin_lock yet"
SPIN_LOCK_IN_TRACING = "tracing progs cannot use bpf_spin_lock yet"
MAP_GRAPH_IN_TRACING = "tracing progs cannot use bpf_{list_head,rb_root} yet"
TIMER_IN_TRACING = "tracing progs cannot use bpf_timer yet"
WQ_IN_TRACING = "tracing progs cannot use bpf_wq yet"

# --- probe: what a kernel build refuses before verification, and sleepable maps -------------
#: check_map_prog_compatibility(): a sleepable program (BPF_F_SLEEPABLE) loads a map whose type
#: is not one of array, hash (and their per-CPU and LRU kinds), map-of-maps, ringbuf, user
#: ringbuf, local storage, queue, stack or arena (EINVAL, before the walk). Upstream 6.18's
#: wording; a probed build may word it otherwise (Profile.sleepable_map_message: one patched
#: 6.18.44 build adds ", also as inner maps", which suggests it checks a map-of-maps' inner map
#: too; kfunclab answers unsupported there rather than guess).
SLEEPABLE_MAP_TYPES = ("Sleepable programs can only use array, hash, ringbuf and local storage "
                       "maps")
#: Not a kernel string: the reason kfunclab gives where a probed build's sleepable-map check
#: reaches inner maps, which upstream 6.18 source does not show how to model
SLEEPABLE_INNER_MAP_UNSUPPORTED = (
    "map {name}: this kernel build checks the inner maps of a sleepable program's map of maps "
    "({said!r}); kfunclab does not model which inner map types it allows")

# --- callbacks and exceptions (helper "cb") ----------------------------------------------
#: check_ld_imm64(): a BPF_PSEUDO_FUNC load of a global function
CALLBACK_NOT_STATIC = "callback function not static"
#: check_mem_access(): a for_each callback's PTR_TO_MAP_KEY is read only
MAP_KEY_WRITE = "write to change key R{regno} not allowed"
#: prepare_func_exit(): a sync callback returns a scalar ...
CALLBACK_R0_NOT_SCALAR = "R0 not a scalar value"
#: ... within its callback_ret_range (verbose_invalid_scalar())
CALLBACK_RETURN_RANGE = ("At callback return the register R0 has {value} should have been in "
                         "{range}")
#: check_max_stack_depth_subprog(): bpf_throw in a callback or a function a callback calls
THROW_IN_CALLBACK = ("bpf_throw kfunc (insn {insn}) cannot be called from callback subprog "
                     "{subprog}")
#: process_bpf_exit_full(): check_resource_leak()'s prefix for an exception exit
EXIT_PREFIX_THROW = "bpf_throw"
#: check_return_code() of any register (R0 at exit, R1 at a bpf_throw)
AT_EXIT_RETURN_RANGE_OF = ("At program exit the register {reg} has {value} should have been in "
                           "{range}")
#: __check_mem_access() for a PTR_TO_MAP_KEY (a for_each_map_elem callback's key)
INVALID_MAP_KEY_ACCESS = "invalid access to map key, key_size={size} off={off} size={access}"

# --- graph kfuncs (helper "graph"): bpf_list_*/bpf_rbtree_*, bpf_obj_new/drop, their locks -------
# check_kfunc_args(): KF_ARG_PTR_TO_LIST_HEAD / RB_ROOT / LIST_NODE / RB_NODE
GRAPH_ROOT_EXPECTED = "arg#{arg} expected pointer to map value or allocated object"
GRAPH_NODE_NON_OWNING = "{name} can only take non-owning or refcounted bpf_rb_node pointer"
# __process_kf_arg_ptr_to_graph_root() / _node()
GRAPH_VAR_OFFSET = ("R{regno} doesn't have constant offset. {field} has to be at the constant "
                    "offset")
GRAPH_FIELD_NOT_FOUND = "{field} not found at offset={off}"
GRAPH_LOCK_NOT_HELD = "bpf_spin_lock at off={off} must be held for {field}"
GRAPH_NODE_WRONG_TYPE = ("operation on {root} expects arg#1 {node} at offset={want} in struct "
                         "{want_type}, but arg is at offset={off} in struct {got_type}")
GRAPH_NODE_WRONG_OFFSET = ("arg#1 offset={off}, but expected {node} at offset={want} in struct "
                           "{want_type}")
# check_lock_held() / check_reg_allocation_locked(): printed before GRAPH_LOCK_NOT_HELD
GRAPH_LOCK_OTHER_ALLOCATION = "held lock and object are not in the same allocation"
# __check_ptr_off_reg()
PTR_VARIABLE_OFFSET = "variable {type} access var_off={var_off} disallowed"
# btf_struct_access() on a bpf_obj_new object; check_map_access() on a map value
LOCAL_FIELD_DIRECT_ACCESS = "direct access to {field} is disallowed"
MAP_FIELD_DIRECT_ACCESS = "{field} cannot be accessed directly by load/store"
# check_special_kfunc(): bpf_obj_new_impl / bpf_percpu_obj_new_impl
KFUNC_OBJ_NEW_ID_RANGE = "local type ID argument must be in range [0, U32_MAX]"
# check_kfunc_call(): one bpf_obj_drop call site reached with objects of different records
# (insn_aux->kptr_struct_meta is per instruction); three lines, the last one is the error
OBJ_DROP_MIXED_TYPES = ("same call cannot be used with different types",
                        "use one call for each type: inline the static function that holds the "
                        "call,",
                        "or mark the callee with __attribute__((nomerge))")
# check_kfunc_args(): KF_ARG_PTR_TO_CALLBACK
KFUNC_CALLBACK_EXPECTED = "arg{arg} expected pointer to func"

# --- verifier core (helper "core") ---
# save_aux_ptr_type(): two paths through one load/store with pointers of different kinds
SAME_INSN_DIFFERENT_POINTERS = "same insn cannot be used with different pointers"
# fixup_kfunc_call(): an unresolved __weak kfunc call (BTF id 0) still reachable after
# verification
KFUNC_CALL_NOT_ELIMINATED = "invalid kernel function call not eliminated in verifier pass"

# --- sockctx family: context pointers of socket program types, map types ------------------------
#: check_flow_keys_access(): a load or store outside struct bpf_flow_keys (flow dissector).
INVALID_FLOW_KEYS_ACCESS = "invalid access to flow keys off={off} size={size}"

# --- struct_ops programs (kfunclab.verifier.struct_ops) ---
#: check_struct_ops_btf_id()
STRUCT_OPS_GPL = "struct ops programs must have a GPL compatible license"
#: check_struct_ops_btf_id(): the member is not a function pointer
STRUCT_OPS_INVALID_MEMBER = "attach to invalid member {member}(@idx {idx}) of struct {struct}"
#: check_struct_ops_btf_id(): the struct's check_member() refused the member
STRUCT_OPS_UNSUPPORTED_MEMBER = "attach to unsupported member {member} of struct {struct}"
#: bpf_tcp_ca_btf_struct_access()
TCP_CA_NO_WRITE = "no write support to tcp_sock at off {off}"
#: bpf_tcp_ca_btf_struct_access()
TCP_CA_WRITE_BEYOND = ("write access at off {off} with size {size} beyond the member of "
                       "tcp_sock ended at {end}")

# --- bpf_rbtree_add's less() callback (helper "rbcb"): in_rbtree_lock_required_cb() ----------
#: check_func_arg(), ARG_PTR_TO_SPIN_LOCK, in an rbtree callback
RBTREE_CB_SPIN_LOCK = "can't spin_{lock,unlock} in rbtree cb"
#: check_kfunc_args(), KF_ARG_PTR_TO_RB_NODE of a kfunc other than bpf_rbtree_add_impl
RBTREE_CB_NOT_ALLOWED = "{name} not allowed in rbtree cb"

# --- exception callbacks (helper "rbcb"): __exception_cb(fn) ---------------------------------
#: do_check_common() for env->exception_callback_subprog
EXC_CB_SINGLE_ARG = "exception cb only supports single integer argument"
#: check_max_stack_depth_subprog(): a BPF_PSEUDO_CALL to the exception callback (the kernel
#: prints it without a newline, so it runs into the summary line)
EXC_CB_CALLED_DIRECTLY = "insn {insn} cannot call exception cb directly"

# --- misc family: writes through kernel-struct pointers (the tc/XDP btf_struct_access hook) ----
#: _nf_conntrack_btf_struct_access() (net/netfilter/nf_conntrack_bpf.c): a store at an
#: nf_conn member other than mark.
NF_CONN_NO_WRITE = "no write support to nf_conn at off {off}"
#: _nf_conntrack_btf_struct_access(): a store at mark that runs past the member's end.
NF_CONN_WRITE_PAST_MEMBER = ("write access at off {off} with size {size} beyond the member of "
                             "nf_conn ended at {end}")
#: check_reg_arg(): a register field past r10 (raw instructions can name r11-r15).
REG_INVALID = "R{regno} is invalid"
#: check_max_stack_depth_subprog(): a call chain (global calls included) past MAX_CALL_FRAMES
CALL_STACK_TOO_DEEP = "the call stack of {frames} frames is too deep !"

# --- iterctx family: iterator programs (SEC("iter/...")) and their key/value buffers ---------
#: __check_buffer_access() via check_buffer_access(): a PTR_TO_BUF access below its start
#: (info is "rdonly" or "rdwr")
INVALID_BUFFER_ACCESS = "R{regno} invalid {info} buffer access: off={off}, size={size}"
#: __check_buffer_access(): a PTR_TO_BUF with a variable (or non-zero tnum) offset
INVALID_VARIABLE_BUFFER_OFFSET = ("R{regno} invalid variable buffer offset: off={off}, "
                                  "var_off={var_off}")
#: btf_struct_walk() (kernel/bpf/btf.c): a pointer member read or written in part
PTR_MEMBER_PARTIAL = ("cannot access ptr member {name} with moff {moff} in struct {struct} with "
                      "off {off} size {size}")
#: check_kfunc_args(), KF_ARG_PTR_TO_REFCOUNTED_KPTR: not an allocated object
KFUNC_NOT_OWNING_OR_NON_OWNING = "arg#{arg} is neither owning or non-owning ref"
#: check_kfunc_args(), KF_ARG_PTR_TO_REFCOUNTED_KPTR: the record has no refcount_off
KFUNC_NO_REFCOUNT_FIELD = "arg#{arg} doesn't point to a type with bpf_refcount field"
#: check_kfunc_args(), KF_ARG_PTR_TO_REFCOUNTED_KPTR: reg_btf_record() is NULL (a struct
#: without special fields has no btf_struct_meta); verifier_bug() prefixes "verifier bug: "
VERIFIER_BUG_NO_RECORD = "verifier bug: Couldn't find btf_record"
#: process_dynptr_func(): MEM_UNINIT | MEM_RDONLY, i.e. a const dynptr (a callback's or a
#: global function's argument) given to a kfunc's __uninit dynptr argument (verifier_bug())
DYNPTR_FLAGS_MISCONFIGURED = "verifier bug: misconfigured dynptr helper type flags"

# --- misc2 family: bpf_tail_call in subprograms (kfunclab/verifier/tailcall.py) --------------
#: check_helper_call() -> check_resource_leak(env, false, true, "tail_call"): the prefix of the
#: LOCK/LEAK/IRQ/RCU/PREEMPT_AT_EXIT messages for a tail call
TAIL_CALL_PREFIX = "tail_call"
#: check_max_stack_depth_subprog(): a subprogram with a tail call entered with 256 bytes or
#: more of its callers' (rounded) stack
TAIL_CALL_STACK_TOO_LARGE = ("tail_calls are not allowed when call stack of previous frames is "
                             "{depth} bytes. Too large")
#: include/linux/errno.h ENOTSUPP (kernel-internal, 524)
ENOTSUPP = 524
#: check_struct_ops_btf_id(): a struct_ops program loaded without attach_btf_id gets -ENOTSUPP
#: and no message; the kernel's log is then "func#0 @0" (check_subprogs(), level 2) and the
#: summary, so its last line before the summary is that one (api.silent_refusal())
STRUCT_OPS_NO_ATTACH_BTF_ID = "func#0 @0"

# --- fentry/fexit/fmod_ret/lsm (trampoline programs; the running kernel refuses them) ---------
#: check_helper_call(): a helper whose proto's allowed() callback says no (bpf_d_path_allowed())
HELPER_NOT_ALLOWED_IN_PROBE = "helper call is not allowed in probe"
#: bpf_lsm_verify_prog() (bpf_log() from check_attach_btf_id()): an LSM program on a hook of
#: bpf_lsm_disabled_hooks; the id is bpf_lsm_<hook>'s in the kernel BTF
LSM_DISABLED_HOOK = "attach_btf_id {btf_id} points to disabled hook {name}"
#: check_kfunc_args(): bpf_iter_css_task_new outside check_css_task_iter_allowlist()
CSS_TASK_ITER_NOT_ALLOWED = ("css_task_iter is only allowed in bpf_lsm, bpf_iter and sleepable "
                             "progs")
#: check_helper_call(): a might_sleep helper between bpf_preempt_disable()/_enable()
HELPER_SLEEP_IN_PREEMPT = "sleepable helper {name}#{imm} in non-preemptible region"
#: check_helper_call(): a might_sleep helper with IRQs disabled (bpf_local_irq_save())
HELPER_SLEEP_IN_IRQ = "sleepable helper {name}#{imm} in IRQ-disabled region"
#: check_kfunc_args() KF_ARG_PTR_TO_ALLOC_BTF_ID: an object passed to the other drop kfunc
KFUNC_ALLOC_WRONG_DROP = "arg#{arg} expected for {name}()"
#: bpf_check_attach_target(): a sleepable program on a target that may not sleep
ATTACH_NOT_SLEEPABLE = "{name} is not sleepable"
#: check_attach_btf_id(): a target of btf_id_deny
ATTACH_TRACING_DENIED = "Attaching tracing programs to function '{name}' is rejected."
#: check_attach_btf_id(): fexit/fmod_ret on a function of noreturn_deny
ATTACH_NORETURN_DENIED = "Attaching fexit/fmod_ret to __noreturn function '{name}' is rejected."
#: check_return_code(): after the range error of an lsm_cgroup program on a void hook
LSM_CGROUP_VOID_NOTE = ("Note, BPF_LSM_CGROUP that attach to void LSM hooks can't modify return "
                        "value!")
# --- per-CPU objects (bpf_percpu_obj_new_impl; check_special_kfunc()) -------------------------
PERCPU_OBJ_NEW_TOO_BIG = "bpf_percpu_obj_new type size ({size}) is greater than {max}"
PERCPU_OBJ_NEW_NOT_SCALAR = "bpf_percpu_obj_new type ID argument must be of a struct of scalars"
PERCPU_OBJ_NEW_SPECIAL = "bpf_percpu_obj_new type ID argument must not contain special fields"
# --- bpf_wq (workqueue kfuncs and their sleepable async callback; rules/wq.py) ---------------
#: check_kfunc_args() KF_ARG_PTR_TO_MAP: a __map argument whose register holds no map
KFUNC_NOT_MAP_POINTER = "pointer in R{regno} isn't map pointer"
#: check_kfunc_args() KF_ARG_PTR_TO_MAP: bpf_wq_init's map is not the workqueue's own
WQ_MAP_MISMATCH = ("workqueue pointer in R1 map_uid={wq_uid} doesn't match map pointer in R2 "
                   "map_uid={map_uid}")
#: check_kfunc_args() KF_ARG_PTR_TO_MAP -> KF_ARG_PTR_TO_BTF_ID: a map value or key as the map
KFUNC_ARG_IS_NOT_BTF_ID = "arg#{arg} is {type} expected {expected} or socket"
#: check_kfunc_args() KF_ARG_PTR_TO_WORKQUEUE: not exactly a PTR_TO_MAP_VALUE
KFUNC_WQ_NOT_MAP_VALUE = "arg#{arg} doesn't point to a map value"
#: check_map_field_pointer(): the field (bpf_timer, bpf_wq) at a variable offset
MAP_FIELD_VAR_OFF = ("R{regno} doesn't have constant offset. {field} has to be at the constant "
                     "offset")
#: check_map_field_pointer(): the map's value has no such field
MAP_FIELD_MISSING = "map '{map}' has no valid {field}"
#: check_map_field_pointer(): the pointer is not at the field
MAP_FIELD_WRONG_OFF = "off {off} doesn't point to 'struct {field}' that is at {field_off}"
#: the running 6.18.44 kernel (not in the 6.18.15 source): push_callback_call() of a sleepable
#: async callback (bpf_wq's) in a program that is not sleepable (prog->sleepable)
SLEEPABLE_CB_IN_NON_SLEEPABLE = "sleepable callback in a program that is not sleepable"
#: check_kfunc_call(): push_callback_call() failed for a callback-calling kfunc
KFUNC_CALLBACK_FAILED = "kfunc {name}#{imm} failed callback verification"


# --- kptr fields of map values (percpu family: check_map_access(), Linux 6.18) ----------------
#: check_map_access(): a helper's or kfunc's memory argument overlaps a kptr field
MAP_KPTR_INDIRECT = "{field} cannot be accessed indirectly by helper"
#: check_map_access(): a load/store that may touch a kptr at a variable offset
MAP_KPTR_VAR_OFF = "{field} access cannot have variable offset"
#: check_map_access(): a load/store that touches a kptr but does not start at it
MAP_KPTR_MISALIGNED = "{field} access misaligned expected={expected} off={off}"
#: check_map_access(): a load/store of a kptr that is not 8 bytes wide
MAP_KPTR_SIZE = "{field} access size must be BPF_DW"
#: check_map_kptr_access(): an atomic instruction on a kptr field
MAP_KPTR_NOT_MEM_MODE = "kptr in map can only be accessed using BPF_MEM instruction mode"
