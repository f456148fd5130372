
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * The core's initialization (ims.h): one call builds every index, so that
 * no lookup depends on which configuration happened to be made first.
 */


#include "ims.h"


static int  ims_core_initialized;


void
ims_core_init(void)
{
    if (ims_core_initialized) {
        return;
    }

    ims_attrs_init();
    ims_query_index_init();
    ims_patch_init();
    ims_stream_core_init();

    ims_core_initialized = 1;
}


int
ims_core_ready(void)
{
    return ims_core_initialized;
}
