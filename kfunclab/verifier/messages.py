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
HELPER_NULL_TO_NONNULL = "R{regno} type={type} expected={expected}"
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
# add_subprog_and_kfunc() / check_kfunc_call(): license
KFUNC_NON_GPL = "cannot call kernel function from non-GPL compatible program"
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

# --- sockctx family: context pointers of socket program types, map types ------------------------
#: check_flow_keys_access(): a load or store outside struct bpf_flow_keys (flow dissector).
INVALID_FLOW_KEYS_ACCESS = "invalid access to flow keys off={off} size={size}"
