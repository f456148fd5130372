
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * Shared by the unit-test files: one check per assertion.
 */


#ifndef _IMS_UNIT_H_INCLUDED_
#define _IMS_UNIT_H_INCLUDED_


void check(int ok, const char *what, const char *input, const char *detail);
void check_error_body(const ims_verdict_t *v, const char *input);
void test_query(void);
void test_stream(void);


#endif /* _IMS_UNIT_H_INCLUDED_ */
