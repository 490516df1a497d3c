/* Test app: reads console lines (interrupt-driven input) and echoes them until "quit". */
#include <stdio.h>
#include <string.h>

int main(void)
{
	char line[128];
	printf("echo: ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!strcmp(line, "quit"))
			break;
		printf("echo: [%s]\n", line);
	}
	printf("echo: bye\n");
	return 7;
}
