package Ims;

# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# What the test files share about the image API (docs/rules.md): the patch
# media types, a few bodies, an image id, and the readers of a response.
#
#   use Ims;                  # exports everything below

use strict;
use warnings;

use Exporter qw(import);
use JSON::PP;

our @EXPORT = qw($V21 $V20 $IMAGE_ID $RENAME $RENAME20 $FORBIDDEN
                 op21 op20 error_code json_body);

our $V21 = 'application/openstack-images-v2.1-json-patch';
our $V20 = 'application/openstack-images-v2.0-json-patch';
our $IMAGE_ID = '33ad552d-1149-471c-8190-ff6776174a00';

our $RENAME = '[{"op":"replace","path":"/name","value":"renamed"}]';
our $RENAME20 = '[{"replace":"/name","value":"renamed"}]';
our $FORBIDDEN = '[{"op":"replace","path":"/__imagetype","value":"gold"}]';

# one operation object; the value is raw JSON text, left out if not given
sub op21 {
    my ($op, $path, @v) = @_;
    return '{"op":"' . $op . '","path":"' . $path . '"'
           . (@v ? ',"value":' . $v[0] : '') . '}';
}

sub op20 {
    my ($op, $path, @v) = @_;
    return '{"' . $op . '":"' . $path . '"'
           . (@v ? ',"value":' . $v[0] : '') . '}';
}

# the response body as JSON, or {} when it is not
sub json_body {
    my ($r) = @_;
    my $j = eval { decode_json($r->{body}) };
    return ref $j eq 'HASH' ? $j : {};
}

# the IMS error code of a response, or '' when it has none
sub error_code {
    my ($r) = @_;
    my $e = json_body($r)->{error};
    return ref $e eq 'HASH' ? $e->{code} // '' : '';
}

1;
