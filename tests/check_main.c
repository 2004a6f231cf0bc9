/* check_main.c — runs every Check suite. */
#include <stdlib.h>

#include "testutil.h"

int main(void)
{
	if (corridor_init() != 0)
		return 2;
	SRunner *sr = srunner_create(suite_vectors());
	srunner_add_suite(sr, suite_entry());
	srunner_add_suite(sr, suite_statements());
	srunner_add_suite(sr, suite_serve());
	srunner_add_suite(sr, suite_tiles());
	srunner_add_suite(sr, suite_keys());
	srunner_add_suite(sr, suite_ledger());
	srunner_add_suite(sr, suite_parties());
	srunner_add_suite(sr, suite_contracts());
	srunner_add_suite(sr, suite_deliveries());
	srunner_add_suite(sr, suite_cim());
	srunner_add_suite(sr, suite_settle());
	srunner_add_suite(sr, suite_cli());
	srunner_add_suite(sr, suite_tty());
	srunner_add_suite(sr, suite_hardening());
	srunner_add_suite(sr, suite_faults());
	srunner_add_suite(sr, suite_crash());
	srunner_add_suite(sr, suite_audit());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
