
/*
 * The routes the gateway inspects (gateway-rules.md, section 1), matched
 * on a normalized path (percent-decoded, "//" merged, dot segments
 * resolved), as the backend decodes the path too.
 */


#include <string.h>

#include "ims.h"


#define ims_is(p, len, s)  ((len) == sizeof(s) - 1 && memcmp(p, s, len) == 0)


ims_route_t
ims_route(const ims_uchar_t *method, size_t method_len,
    const ims_uchar_t *path, size_t len, ims_str_t *image_id)
{
    static const char  images[] = "/v2/images/";

    if (ims_is(method, method_len, "GET") || ims_is(method, method_len, "HEAD"))
    {
        return ims_is(path, len, "/v2/cloudimages") ? IMS_ROUTE_QUERY
                                                    : IMS_ROUTE_NONE;
    }

    if (!ims_is(method, method_len, "PATCH")
        || len <= sizeof(images) - 1
        || memcmp(path, images, sizeof(images) - 1) != 0)
    {
        return IMS_ROUTE_NONE;
    }

    image_id->data = path + sizeof(images) - 1;
    image_id->len = len - (sizeof(images) - 1);

    /* /v2/images/{id}/file and the like are other routes */
    if (memchr(image_id->data, '/', image_id->len) != NULL) {
        return IMS_ROUTE_NONE;
    }

    return IMS_ROUTE_PATCH;
}
