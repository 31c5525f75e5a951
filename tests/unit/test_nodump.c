/*
 * test_nodump: util_no_core_dumps() (util.h) leaves the process with no
 * core dumps and not dumpable, the state sipcfgd runs in (issue 16).
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tap.h"
#include "util.h"

int
main(void)
{
	struct rlimit	 rl;

	ok(util_no_core_dumps() == 0, "util_no_core_dumps");
	ok(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0, "not dumpable (no core, "
	    "no ptrace attach by the same user)");
	ok(getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == 0 &&
	    rl.rlim_max == 0, "RLIMIT_CORE is 0, soft and hard");
	rl.rlim_cur = rl.rlim_max = 1 << 20;
	ok(setrlimit(RLIMIT_CORE, &rl) != 0 || geteuid() == 0,
	    "an unprivileged process cannot raise it again");
	return tap_done();
}
