/*
 * sal.h for alertable-win32: Microsoft's source-code annotation language (SAL).
 *
 * The annotations describe parameters to Microsoft's static analyser; they have no effect
 * on the code. Here every one of them is defined away, so declarations written with them
 * (`_In_ HANDLE h`, `__out_opt LPDWORD n`, `_Out_writes_(n) char *buf`) compile with GCC
 * and Clang unchanged. Covered: the SAL 2 names ( _In_, _Out_, _Inout_, their _opt_, _z_,
 * _reads_, _writes_ and _ptr_ forms, return and success annotations) and the older SAL 1
 * names (__in, __out, __inout, __ecount and __bcount forms).
 */
#ifndef ALERTABLE_SAL_H
#define ALERTABLE_SAL_H

/* ---- SAL 2: parameters ----------------------------------------------------------------- */

#define _In_
#define _In_opt_
#define _In_z_
#define _In_opt_z_
#define _In_reads_(size)
#define _In_reads_opt_(size)
#define _In_reads_bytes_(size)
#define _In_reads_bytes_opt_(size)
#define _In_reads_z_(size)
#define _In_range_(low, high)
#define _Out_
#define _Out_opt_
#define _Out_writes_(size)
#define _Out_writes_opt_(size)
#define _Out_writes_bytes_(size)
#define _Out_writes_bytes_opt_(size)
#define _Out_writes_z_(size)
#define _Out_writes_to_(size, count)
#define _Out_writes_to_opt_(size, count)
#define _Out_writes_bytes_to_(size, count)
#define _Out_writes_bytes_to_opt_(size, count)
#define _Out_writes_all_(size)
#define _Out_range_(low, high)
#define _Inout_
#define _Inout_opt_
#define _Inout_z_
#define _Inout_updates_(size)
#define _Inout_updates_opt_(size)
#define _Inout_updates_bytes_(size)
#define _Inout_updates_z_(size)
#define _Outptr_
#define _Outptr_opt_
#define _Outptr_result_maybenull_
#define _Outptr_opt_result_maybenull_
#define _Outptr_result_buffer_(size)
#define _Outptr_result_bytebuffer_(size)
#define _Deref_out_
#define _Deref_out_opt_
#define _Reserved_
#define _Pre_
#define _Post_
#define _Pre_notnull_
#define _Pre_maybenull_
#define _Pre_valid_
#define _Post_invalid_
#define _Post_valid_
#define _Notnull_
#define _Maybenull_
#define _Frees_ptr_
#define _Frees_ptr_opt_
#define _Field_size_(size)
#define _Field_size_opt_(size)
#define _Field_size_bytes_(size)
#define _Field_size_bytes_opt_(size)
#define _Field_range_(low, high)
#define _Field_z_
#define _Printf_format_string_
#define _Scanf_format_string_
#define _Null_terminated_
#define _NullNull_terminated_

/* ---- SAL 2: functions and results ------------------------------------------------------ */

#define _Check_return_
#define _Must_inspect_result_
#define _Ret_
#define _Ret_maybenull_
#define _Ret_notnull_
#define _Ret_z_
#define _Ret_range_(low, high)
#define _Ret_writes_(size)
#define _Ret_writes_bytes_(size)
#define _Ret_writes_maybenull_(size)
#define _Ret_writes_bytes_maybenull_(size)
#define _Success_(expr)
#define _Return_type_success_(expr)
#define _Result_nullonfailure_
#define _Result_zeroonfailure_
#define _When_(expr, annotations)
#define _At_(target, annotations)
#define _Acquires_lock_(lock)
#define _Releases_lock_(lock)
#define _Acquires_exclusive_lock_(lock)
#define _Releases_exclusive_lock_(lock)
#define _Acquires_shared_lock_(lock)
#define _Releases_shared_lock_(lock)
#define _Requires_lock_held_(lock)
#define _Requires_lock_not_held_(lock)
#define _Guarded_by_(lock)
#define _Interlocked_
#define _Interlocked_operand_
#define _Function_class_(name)
#define _IRQL_requires_max_(level)
#define _Use_decl_annotations_
#define _Analysis_assume_(expr)
#define _Analysis_noreturn_
#define _Always_(annotations)
#define _Post_satisfies_(expr)
#define _Pre_satisfies_(expr)
#define _Struct_size_bytes_(size)
#define _Kernel_float_used_

/* ---- SAL 1 ----------------------------------------------------------------------------- */

#define __in
#define __in_opt
#define __in_z
#define __in_opt_z
#define __in_ecount(size)
#define __in_ecount_opt(size)
#define __in_bcount(size)
#define __in_bcount_opt(size)
#define __out
#define __out_opt
#define __out_ecount(size)
#define __out_ecount_opt(size)
#define __out_bcount(size)
#define __out_bcount_opt(size)
#define __out_ecount_part(size, length)
#define __out_bcount_part(size, length)
#define __inout
#define __inout_opt
#define __inout_ecount(size)
#define __inout_bcount(size)
#define __deref_out
#define __deref_out_opt
#define __deref_opt_out
#define __reserved
#define __checkReturn
#define __success(expr)
#define __nullterminated
#define __format_string
#define __callback
#define __analysis_assume(expr)

#endif /* ALERTABLE_SAL_H */
