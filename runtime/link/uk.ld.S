/*
 * uk linker script, preprocessed per target with UK_LOAD_ADDR (where the loader puts the image:
 * RAM base + 0x80000). Sections are page-aligned so the MMU can map code read-only+executable,
 * read-only data read-only, and everything writable execute-never (W^X). Below each stack sits
 * an unmapped guard page.
 */
OUTPUT_FORMAT("elf64-littleaarch64")
OUTPUT_ARCH(aarch64)
ENTRY(_start)
EXTERN(_start)

PHDRS
{
	text PT_LOAD FLAGS(5);
	rodata PT_LOAD FLAGS(4);
	data PT_LOAD FLAGS(6);
	tls PT_TLS;
}

SECTIONS
{
	. = UK_LOAD_ADDR;
	__image_start = .;
	.text : {
		KEEP(*(.text.boot))
		*(.text.unlikely .text.unlikely.*)
		*(.text.startup .text.startup.*)
		*(.text .text.*)
		KEEP(*(.text.vectors))
	} :text
	. = ALIGN(4096);
	__text_end = .;

	.rodata : {
		*(.rodata .rodata.*)
		*(.srodata .srodata.*)
		. = ALIGN(8);
		PROVIDE_HIDDEN(__preinit_array_start = .);
		KEEP(*(.preinit_array))
		PROVIDE_HIDDEN(__preinit_array_end = .);
		PROVIDE_HIDDEN(__init_array_start = .);
		KEEP(*(SORT_BY_INIT_PRIORITY(.init_array.*)))
		KEEP(*(.init_array))
		PROVIDE_HIDDEN(__init_array_end = .);
		PROVIDE_HIDDEN(__fini_array_start = .);
		KEEP(*(SORT_BY_INIT_PRIORITY(.fini_array.*)))
		KEEP(*(.fini_array))
		PROVIDE_HIDDEN(__fini_array_end = .);
		. = ALIGN(8);
		__uk_symtab_start = .;
		KEEP(*(.uk_symtab))
		__uk_symtab_end = .;
	} :rodata
	.data.rel.ro : { *(.data.rel.ro .data.rel.ro.*) *(.got .got.*) } :rodata
	. = ALIGN(4096);
	__rodata_end = .;

	.data : {
		*(.data .data.*)
		*(.sdata .sdata.*)
	} :data
	/* The TLS template (picolibc keeps errno there); each thread gets a copy of it. */
	.tdata : ALIGN(16) {
		__tdata_start = .;
		*(.tdata .tdata.*)
		__tdata_end = .;
	} :data :tls
	.tbss : ALIGN(16) {
		__tbss_start = .;
		*(.tbss .tbss.*)
		*(.tcommon)
		__tbss_end = .;
	} :data :tls
	__tdata_source = __tdata_start;
	__tdata_size = __tdata_end - __tdata_start;
	__tbss_size = SIZEOF(.tbss);
	__tbss_offset = __tbss_start - __tdata_start;
	__tls_align = MAX(ALIGNOF(.tdata), ALIGNOF(.tbss));
	__tls_size = __tbss_start + __tbss_size - __tdata_start;
	__arm64_tls_tcb_offset = MAX(16, __tls_align);

	/* entry.S zeroes [__bss_start, __bss_end). */
	.bss (NOLOAD) : ALIGN(16) {
		__bss_start = .;
		*(.sbss .sbss.*)
		*(.bss .bss.*)
		*(COMMON)
		. = ALIGN(16);
		__tls_main = .;
		. += __tls_size + 16;
		. = ALIGN(16);
		__bss_end = .;
	} :data

	/* Memory the runtime initialises itself (page tables): not zeroed at boot. */
	.noinit (NOLOAD) : ALIGN(4096) {
		*(.noinit .noinit.*)
	} :data

	/* Stacks: main (SP_EL0) and exception (SP_EL1), each above an unmapped guard page. */
	.stacks (NOLOAD) : ALIGN(4096) {
		__stack_guard = .;
		. += 4096;
		__stack_bottom = .;
		. += DEFINED(__uk_stack_size) ? __uk_stack_size : 0x10000;
		. = ALIGN(4096);
		__stack_top = .;
		__exception_stack_guard = .;
		. += 4096;
		__exception_stack_bottom = .;
		. += 0x4000;
		__exception_stack_top = .;
	} :data
	__image_end = .;

	/DISCARD/ : {
		*(.note .note.*)
		*(.eh_frame .eh_frame.*)
		*(.comment)
	}
}
