/* SPDX-License-Identifier: BSD-3-Clause */
/* mt_eal.c - see mt_eal.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>

#include "mt_common.h"
#include "mt_eal.h"

int
mt_eal_remove_runtime_dir(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	d = opendir(dir);
	if (d == NULL)
		return -errno;
	fd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_type == DT_DIR)
			continue; /* ".", "..", or not ours */
		if (unlinkat(fd, de->d_name, 0) != 0 && errno != ENOENT)
			rc = -errno;
	}
	closedir(d);
	if (rmdir(dir) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

void
mt_eal_cleanup(void)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	if (dir[0] != '\0')
		(void)mt_eal_remove_runtime_dir(dir);
}
