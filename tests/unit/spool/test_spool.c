/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/spool: files, modes, atomic publication, clear errors. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_mbuf.h>

#include "mt_spool.h"
#include "mt_test_eal.h"

static struct rte_mempool *mail_pool, *chunk_pool;
static char dir[256];

/* python3 -c "import hashlib; print(hashlib.sha256(b'Subject: x\\r\\n\\r\\nbody\\r\\n' * 100).hexdigest())" */
#define SHA_100_MSG "a5204439dbcde46fb191a194c046ef8872aef57af354833ebeef9a95e65d1658"

static size_t
slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, size, f);
	fclose(f);
	return n;
}

static void
writes_eml_and_json_0640_and_leaves_tmp_empty(void **state)
{
	struct mt_spool *sp;
	struct mt_mail *m = mt_mail_get(mail_pool);
	struct mt_err err;
	char path[512], buf[8192];
	const char *msg = "Subject: x\r\n\r\nbody\r\n";
	struct stat st;
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "%s/a/b", dir);
	sp = mt_spool_open(path, &err); /* creates parents */
	assert_non_null(sp);
	for (i = 0; i < 100; i++) /* 2000 bytes over 100-byte chunks */
		mt_mail_append(m, chunk_pool, 1 << 20, (const uint8_t *)msg, strlen(msg));
	m->key.family = 4;
	assert_int_equal(mt_spool_write(sp, m, "id1", &err), 0);

	snprintf(path, sizeof(path), "%s/a/b/id1.eml", dir);
	assert_int_equal(slurp(path, buf, sizeof(buf)), 100 * strlen(msg));
	assert_memory_equal(buf + 99 * strlen(msg), msg, strlen(msg));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	snprintf(path, sizeof(path), "%s/a/b/id1.json", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	i = slurp(path, buf, sizeof(buf));
	assert_true(i > 2 && buf[0] == '{' && buf[i - 1] == '\n');
	/* sha256 of 100 x msg, computed independently with sha256sum */
	assert_non_null(strstr(buf, "\"sha256\":\"" SHA_100_MSG "\""));
	snprintf(path, sizeof(path), "%s/a/b/tmp", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0750);
	assert_int_equal(st.st_nlink, 2); /* tmp/ has no leftovers */
	mt_mail_put(m);
	mt_spool_close(sp);
}

static void
empty_message_gives_empty_eml(void **state)
{
	struct mt_spool *sp;
	struct mt_mail *m = mt_mail_get(mail_pool);
	struct mt_err err;
	char path[512];
	struct stat st;

	(void)state;
	sp = mt_spool_open(dir, &err);
	assert_non_null(sp);
	assert_int_equal(mt_spool_write(sp, m, "empty", &err), 0);
	snprintf(path, sizeof(path), "%s/empty.eml", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	mt_mail_put(m);
	mt_spool_close(sp);
}

static void
unusable_directory_is_a_clear_error(void **state)
{
	struct mt_err err;
	char path[512];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/file/spool", dir);
	assert_null(mt_spool_open(path, &err));
	assert_non_null(strstr(err.msg, path));
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mt-unit-spool-%d", (int)getpid());
	if (mkdir(dir, 0700) != 0 || mt_test_eal_init("spool") != 0)
		return -1;
	mail_pool = mt_mail_pool_create("t_mails", 15, 0);
	chunk_pool = rte_pktmbuf_pool_create("t_chunks", 63, 0, 0, RTE_PKTMBUF_HEADROOM + 100, 0);
	return mail_pool && chunk_pool ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	rte_mempool_free(mail_pool);
	rte_mempool_free(chunk_pool);
	rte_eal_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writes_eml_and_json_0640_and_leaves_tmp_empty),
		cmocka_unit_test(empty_message_gives_empty_eml),
		cmocka_unit_test(unusable_directory_is_a_clear_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
