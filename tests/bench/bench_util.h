/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_util.h - what the bench programs share: a monotonic clock, the
 * median of a few runs, a fatal error, and the generator's truth mails
 * (mNNNNNN.eml) loaded into memory.  Header-only: each program is one .c.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAXRUNS 15

/* set by each program: its name in error messages */
static const char *bench_prog = "bench";

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of n (<= MAXRUNS) values; in is left as it was. */
static double
median(const double *in, int n)
{
	double v[MAXRUNS];

	memcpy(v, in, (size_t)n * sizeof(*v));
	qsort(v, (size_t)n, sizeof(*v), cmpd);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
die(const char *what)
{
	fprintf(stderr, "%s: %s\n", bench_prog, what);
	exit(1);
}

struct mail {
	uint8_t *p;
	size_t len;
};
static struct mail *mails;
static size_t nmails, mailbytes;

/* Append the mNNNNNN.eml files of a truth directory to mails[]. */
static void
load_truth(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	if (!d)
		die(dir);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		struct stat st;
		int fd;

		if (e->d_name[0] != 'm' || l < 5 || strcmp(e->d_name + l - 4, ".eml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0 || fstat(fd, &st) < 0)
			die(path);
		mails = realloc(mails, (nmails + 1) * sizeof(*mails));
		if (!mails)
			die("out of memory");
		mails[nmails].len = (size_t)st.st_size;
		mails[nmails].p = malloc((size_t)st.st_size + 1);
		if (!mails[nmails].p || read(fd, mails[nmails].p, (size_t)st.st_size) != st.st_size)
			die(path);
		mailbytes += (size_t)st.st_size;
		nmails++;
		close(fd);
	}
	closedir(d);
}

#endif /* BENCH_UTIL_H */
