/* SPDX-License-Identifier: MIT */
/* Tests of the store's write lock: one holder, named to the next, released by release or by death. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/log.h"
#include "catalog/catalog.h"
#include "store/lock.h"
#include "tests/fixture.h"

/* A fresh store in the fixture's directory. */
static void make_store(void)
{
	struct catalog *c;

	assert_int_equal(catalog_open(store, CATALOG_CREATE, &c), 0);
	catalog_free(c);
}

static void lock_path(char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/" STORE_LOCK_FILE, store);
}

/* "by HOST:PID since" of this machine and pid. */
static void holder_of(long pid, char *buf, size_t cap)
{
	char host[256];

	assert_int_equal(gethostname(host, sizeof(host)), 0);
	snprintf(buf, cap, "by %s:%ld since ", host, pid);
}

static void lock_take_release(void **state)
{
	struct store_lock *a, *b;
	char who[512], want[300], path[160];
	struct stat st;

	(void)state;
	make_store();
	assert_int_equal(store_lock_take(store, &a), 0);
	assert_non_null(a);
	lock_path(path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);

	/* a second taker fails at once and learns who holds it */
	assert_int_equal(store_lock_take(store, &b), -EAGAIN);
	assert_null(b);
	store_lock_holder(store, who, sizeof(who));
	holder_of((long)getpid(), want, sizeof(want));
	assert_memory_equal(who, want, strlen(want));
	assert_int_equal(strlen(who), strlen(want) + 20);  /* ISO 8601 UTC */
	assert_int_equal(who[strlen(who) - 1], 'Z');

	/* released: the text is gone and the next writer gets it */
	store_lock_release(a);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	store_lock_holder(store, who, sizeof(who));
	assert_string_equal(who, "by another process");
	assert_int_equal(store_lock_take(store, &b), 0);
	store_lock_release(b);
	store_lock_release(NULL);
}

static void lock_not_a_store(void **state)
{
	struct store_lock *l;
	char path[160];

	(void)state;
	assert_int_equal(mkdir(store, 0755), 0);
	assert_int_equal(store_lock_take(store, &l), -ENOENT);
	assert_null(l);
	lock_path(path, sizeof(path));
	assert_int_equal(access(path, F_OK), -1);   /* nothing created */
}

/* A text no holder writes names nobody, and never blocks a writer. */
static void lock_garbage_text(void **state)
{
	static const char *const junk[] = { "", "host", "host 12",
		"host -3 2026-12-07T09:10:00Z", "host 12 yesterday",
		"host 12 2026-12-07T09:10:00Z extra", "\x01\x02 1 2" };
	struct store_lock *l;
	char who[512], path[160];

	(void)state;
	make_store();
	lock_path(path, sizeof(path));
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(junk[i], f);
		fclose(f);
		store_lock_holder(store, who, sizeof(who));
		assert_string_equal(who, "by another process");
		assert_int_equal(store_lock_take(store, &l), 0);
		store_lock_release(l);
	}
}

/*
 * Forks a holder that takes the lock (inherited NULL) or keeps the one it
 * inherited (store_lock_after_fork), then sleeps until killed; returns
 * once it holds it, and checks that the lock file names it.
 */
static pid_t spawn_holder(struct store_lock *inherited)
{
	struct store_lock *l;
	char who[512], want[300], c;
	int up[2];
	pid_t pid;

	assert_int_equal(pipe(up), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(up[0]);
		if ((inherited ? store_lock_after_fork(inherited) :
		     store_lock_take(store, &l)) || write(up[1], "y", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(up[1]);
	assert_int_equal(read(up[0], &c, 1), 1);
	close(up[0]);
	store_lock_holder(store, who, sizeof(who));
	holder_of((long)pid, want, sizeof(want));
	assert_memory_equal(who, want, strlen(want));
	return pid;
}

static void kill_holder(pid_t pid)
{
	int status;

	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

/* A holder that dies (SIGKILL, no release) leaves the store unlocked. */
static void lock_child_exit(void **state)
{
	struct store_lock *l;
	pid_t pid;

	(void)state;
	make_store();
	pid = spawn_holder(NULL);
	assert_int_equal(store_lock_take(store, &l), -EAGAIN);
	kill_holder(pid);
	assert_int_equal(store_lock_take(store, &l), 0);   /* stale text */
	store_lock_release(l);
}

/* A daemon's lock: inherited at fork, the text names the child, and the
 * lock lasts while either process keeps the descriptor. */
static void lock_after_fork(void **state)
{
	struct store_lock *l, *m;
	pid_t pid;

	(void)state;
	make_store();
	assert_int_equal(store_lock_take(store, &l), 0);
	pid = spawn_holder(l);
	assert_int_equal(store_lock_take(store, &m), -EAGAIN);
	kill_holder(pid);
	assert_int_equal(store_lock_take(store, &m), -EAGAIN);
	store_lock_release(l);
	assert_int_equal(store_lock_take(store, &m), 0);
	store_lock_release(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lock_take_release, setup,
						teardown),
		cmocka_unit_test_setup_teardown(lock_not_a_store, setup,
						teardown),
		cmocka_unit_test_setup_teardown(lock_garbage_text, setup,
						teardown),
		cmocka_unit_test_setup_teardown(lock_child_exit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(lock_after_fork, setup,
						teardown),
	};

	log_set_level(LOG_LVL_ERROR);
	return cmocka_run_group_tests_name("lock", tests, NULL, NULL);
}
