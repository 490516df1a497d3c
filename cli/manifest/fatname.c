/* fatname.c: which names a file may have on the FAT boot partition, and when two names are one
 * file there. FAT compares long names without case and drops trailing dots and spaces; mtools
 * also takes "a:b" as a drive letter and refuses DOS device names. A clash that reaches mcopy
 * makes it prompt (in a loop, even with no terminal), so every name is checked before. */
#include "uk.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Names DOS reserves for devices, with or without an extension ("con", "nul.txt"). */
static int dos_device(const char *name)
{
	static const char *const dev[] = {"con", "prn", "aux", "nul", "clock$", NULL};
	size_t stem = strcspn(name, ".");
	for (int i = 0; dev[i]; i++)
		if (stem == strlen(dev[i]) && !strncasecmp(name, dev[i], stem))
			return 1;
	return stem == 4 && (!strncasecmp(name, "com", 3) || !strncasecmp(name, "lpt", 3)) &&
	       name[3] >= '0' && name[3] <= '9';
}

int fat_name_ok(const char *name, const char **why)
{
	size_t n = strlen(name);
	if (!n || n > 255) {
		*why = "must have 1 to 255 characters";
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!isalnum(c) && c != '_' && c != '-' && c != '.') {
			*why = "may hold only letters, digits, '_', '-', '.'";
			return 0;
		}
	}
	if (name[0] == '.') {
		*why = "must not start with '.'";
		return 0;
	}
	if (name[n - 1] == '.') {
		*why = "must not end with '.' (FAT drops it, so it would name another file)";
		return 0;
	}
	if (dos_device(name)) {
		*why = "is a DOS device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9), which FAT tools "
		       "refuse";
		return 0;
	}
	return 1;
}

/* The length of name as FAT stores it: trailing dots and spaces dropped. */
static size_t stored_length(const char *name)
{
	size_t n = strlen(name);
	while (n && (name[n - 1] == '.' || name[n - 1] == ' '))
		n--;
	return n;
}

int fat_names_clash(const char *a, const char *b)
{
	size_t la = stored_length(a), lb = stored_length(b);
	return la == lb && !strncasecmp(a, b, la);
}
