/* hello: the smallest uk app. Prints a greeting, how long the boot took, the memory it found
 * and its boot arguments, then exits 0 (QEMU exits with that status under `uk run`). */
#include <stdio.h>

#include <uk/config.h>
#include <uk/system.h>

int main(void)
{
	const struct uk_system *s = uk_system();
	printf("Hello from uk on %s (%s)\n", s->target, s->model);
	printf("boot: %llu us from reset to main (%llu us in the runtime)\n",
	       (unsigned long long)(s->main_ns / 1000),
	       (unsigned long long)((s->main_ns - s->entry_ns) / 1000));
	printf("memory: %llu MiB at 0x%llx, heap %llu KiB\n",
	       (unsigned long long)(s->ram_size >> 20), (unsigned long long)s->ram_base,
	       (unsigned long long)(s->heap_size >> 10));
	printf("boot arguments: %u\n", (unsigned)uk_config_count());
	for (size_t i = 0; i < uk_config_count(); i++)
		printf("  %s=%s\n", uk_config_key(i), uk_config_value(i));
	return 0;
}
