/*
 * replay: runs a libFuzzer entry point over every file of its corpus, so
 * `make check` exercises the fuzz targets without clang.  Files named on
 * the command line are replayed instead (for reproducing a crash).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
run(const char *path)
{
	FILE		*f;
	uint8_t		*b;
	long		 n;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n < 0 || (b = malloc((size_t)n + 1)) == NULL ||
	    fread(b, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "%s: unreadable\n", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(b, (size_t)n);
	free(b);
	return 0;
}

int
main(int argc, char *argv[])
{
	DIR		*d;
	struct dirent	*e;
	char		 path[4096];
	int		 i, n = 0;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (run(argv[i]) != 0)
				return 1;
		return 0;
	}
	if ((d = opendir(CORPUS_DIR)) == NULL) {
		perror(CORPUS_DIR);
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", CORPUS_DIR, e->d_name);
		if (run(path) != 0) {
			closedir(d);
			return 1;
		}
		printf("ok %d - %s\n", ++n, e->d_name);
	}
	closedir(d);
	printf("1..%d\n", n);
	if (n == 0) {
		fprintf(stderr, "empty corpus %s\n", CORPUS_DIR);
		return 1;
	}
	return 0;
}
