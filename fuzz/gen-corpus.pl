#!/usr/bin/perl
# Copyright (C) 2026 The ngx_ims_module authors
# 2-clause BSD license: see LICENSE.

# Seed corpora for the libFuzzer harnesses, from documented examples: the
# request bodies of the IMS API reference's "Updating Image Information
# (Native OpenStack API)", the cases that docs/rules.md names under
# "Content-Type", "Body" and "Query", the queries of the IMS API
# reference's "Querying Images", and the routes, aliases, near misses and
# method overrides of docs/rules.md, "Routes" and "Method override".
#
#   perl fuzz/gen-corpus.pl fuzz/corpus
#
# writes DIR/{patch,media_type,query,route}/NAME, each file an input in the
# harness's own format (a control byte first, see fuzz/fuzz_*.c);
# fuzz_patch_diff.c reads the patch corpus.  The output is committed; rerun
# after changing this file.

use strict;
use warnings;

use File::Path qw(make_path remove_tree);

my $out = shift // 'fuzz/corpus';

my $ID = '33ad552d-1149-471c-8190-ff6776174a00';

sub op21 {
    my ($op, $path, @v) = @_;
    return qq({"op":"$op","path":"$path") . (@v ? qq(,"value":$v[0]) : '')
           . '}';
}

sub op20 {
    my ($op, $path, @v) = @_;
    return qq({"$op":"$path") . (@v ? qq(,"value":$v[0]) : '') . '}';
}

# [ name, v2.1 body, v2.0 body or undef ]
my @patch = (
    # the IMS API reference's own examples, whitespace as printed
    [ 'spec-v21', qq([\n     {\n         "op": "replace",\n)
                  . qq(         "path": "/name",\n)
                  . qq(         "value": "test01"\n     }\n]     \n),
      qq([\n     {\n         "replace": "/name",\n)
      . qq(         "value": "test01"       \n     }\n]     \n) ],

    # as JSON encoders write by default: one space after ':' and ','
    [ 'encoder-spacing',
      '[{"op": "replace", "path": "/name", "value": "x"}, '
      . '{"op": "remove", "path": "/a"}, '
      . '{"op": "add", "path": "/b", "value": ""}]', undef ],
    [ 'mixed-spacing',
      '[{"op": "add","path": "/a", "value":"x"},'
      . '{"op":"add", "path":"/b","value": "y" }]', undef ],

    # docs/rules.md, "Body": document
    [ 'empty', '', '' ],
    [ 'blank', " \r\n\t", undef ],
    [ 'empty-array', '[]', undef ],
    [ 'object', '{}', undef ],
    [ 'not-object', '[1]', undef ],
    [ 'bom', "\xef\xbb\xbf[]", undef ],
    [ 'two-documents', '[] []', undef ],
    [ 'trailing-comma', '[' . op21('remove', '/x') . ',]', undef ],
    [ 'comment', '[/* c */]', undef ],
    [ 'single-quotes', q([{'op':'remove','path':'/x'}]), undef ],
    [ 'nan', '[' . op21('add', '/x', 'NaN') . ']', undef ],
    [ 'raw-control', qq([{"op":"add","path":"/x","value":"a\x01b"}]), undef ],
    [ 'bad-utf8', qq([{"op":"add","path":"/x","value":"\xc0\x80"}]), undef ],
    [ 'lone-surrogate', '[' . op21('add', '/x', '"\ud800"') . ']', undef ],
    [ 'dup-op', '[{"op":"add","op":"remove","path":"/x","value":"y"}]',
      '[{"add":"/x","add":"/name","value":"y"}]' ],
    [ 'dup-escaped', '[{"op":"remove","\u006fp":"add","path":"/x",'
                     . '"value":"y"}]', undef ],
    [ 'dup-nested', '[{"op":"add","path":"/x","value":"y",'
                    . '"z":{"a":1,"a":2}}]', undef ],
    [ 'deep', '[' . op21('add', '/x', '[' x 32 . ']' x 32) . ']', undef ],
    [ 'ops-1001', '[' . join(',', ('{}') x 1001) . ']', undef ],
    [ 'nul-name', '[{"op":"remove","path":"/x","a\u0000":1}]', undef ],
    [ 'big-numbers', '[{"op":"remove","path":"/x","value":[1e400,'
                     . '123456789012345678901234567890,-0.0e-5,1E+2]}]',
      undef ],

    # docs/rules.md, "Body": operations
    [ 'move', '[' . op21('move', '/x') . ']', undef ],
    [ 'op-case', '[' . op21('Add', '/x', '"y"') . ']', undef ],
    [ 'op-number', '[{"op":1,"path":"/x"}]', undef ],
    [ 'no-value', '[' . op21('add', '/x') . ']', '[' . op20('add', '/x') . ']'
    ],
    [ 'remove-value', '[' . op21('remove', '/x', '{"a":[1,true,null]}') . ']',
      '[' . op20('remove', '/x', '{"a":[1,true,null]}') . ']' ],
    [ 'two-keys', '[{"op":"add","path":"/x","value":"y","replace":"/id"}]',
      '[{"add":"/x","remove":"/y","value":"z"}]' ],
    [ 'mixed', undef, '[{"op":"remove","path":"/id","replace":"/x",'
                      . '"value":"y"}]' ],
    [ 'path-number', '[{"op":"add","path":1,"value":"y"}]',
      '[{"add":1,"value":"y"}]' ],

    # docs/rules.md, "Body": paths
    [ 'escaped-path', '[' . op21('replace', '/\u006eame', '"x"') . ']',
      '[' . op20('replace', '/\u006eame', '"x"') . ']' ],
    [ 'tilde', '[' . op21('add', '/a~1b', '"x"') . ','
               . op21('add', '/tricky~01', '"x"') . ']',
      '[' . op20('add', '/a~1b', '"x"') . ']' ],
    [ 'bad-tilde', '[' . op21('add', '/a~2', '"x"') . ']', undef ],
    [ 'nested-paths', '[' . join(',', map { op21('add', $_, '"x"') }
                                 qw(/a/b //x /x/ /tags/0 /locations/-))
                      . ']', undef ],
    [ 'no-slash', '[' . op21('add', 'name', '"x"') . ']', undef ],
    [ 'root', '[' . op21('add', '/', '"x"') . ']', undef ],
    [ 'space-name', '[' . op21('add', '/ __os_bit', '"64"') . ']',
      '[' . op20('add', '/__os_bit ', '"64"') . ']' ],
    [ 'nbsp-name', '[' . op21('add', '/\u00a0x', '"y"') . ']', undef ],
    [ 'format-name', '[' . op21('add', '/x\u200by', '"y"') . ']', undef ],
    [ 'control-name', '[' . op21('add', '/x\u0000y', '"y"') . ']', undef ],
    [ 'long-name', '[' . op21('add', '/' . ('n' x 256), '"y"') . ']', undef ],

    # docs/rules.md, "Body": attributes
    [ 'name-ok', '[' . op21('replace', '/name', '"Ubuntu 20.04_x-1"') . ']',
      '[' . op20('replace', '/name', '"Ubuntu 20.04_x-1"') . ']' ],
    [ 'name-cjk', '[' . op21('replace', '/name', "\"\xe6\xb5\x8b\xe8\xaf\x95"
                                                 . '\u4e00"') . ']', undef ],
    [ 'name-null', '[' . op21('replace', '/name', 'null') . ']', undef ],
    [ 'name-empty', '[' . op21('add', '/name', '""') . ']', undef ],
    [ 'name-remove', '[' . op21('remove', '/name') . ']',
      '[' . op20('remove', '/name') . ']' ],
    [ 'name-number', '[' . op21('replace', '/name', '128') . ']', undef ],
    [ 'name-long', '[' . op21('replace', '/name', '"' . ('a' x 129) . '"')
                   . ']', undef ],
    [ 'name-space', '[' . op21('replace', '/name', '" x"') . ']', undef ],
    [ 'name-emoji', '[' . op21('replace', '/name', '"\ud83d\ude00"') . ']',
      undef ],
    [ 'desc-ok', '[' . op21('add', '/__description', '"an image"') . ']',
      '[' . op20('add', '/__description', '""') . ']' ],
    [ 'desc-crlf', '[' . op21('add', '/__description', '"a\r\nb"') . ']',
      undef ],
    [ 'desc-markup', '[' . op21('add', '/__description', '"<b>x</b>"') . ']',
      undef ],
    [ 'desc-long', '[' . op21('add', '/__description', '"' . ('d' x 1025)
                   . '"') . ']', undef ],
    [ 'desc-remove', '[' . op21('remove', '/__description') . ']', undef ],
    [ 'system', '[' . join(',', map { op21('replace', "/$_", '"x"') }
                           qw(id status os_glance_x __os_bit tags min_ram
                              corp_x __support_agent_list)) . ']',
      '[' . op20('remove', '/__isregistered') . ']' ],
    [ 'custom', '[' . op21('add', '/custom', '"v"') . ','
                . op21('remove', '/other') . ','
                . op21('replace', '/NAME', '"v"') . ']',
      '[' . op20('add', '/custom', '"v"') . ']' ],
    [ 'custom-number', '[' . op21('add', '/custom', '1') . ']', undef ],
    [ 'custom-emoji', '[' . op21('add', '/custom', '"\ud83d\ude00"') . ']',
      undef ],
    [ 'custom-nul', '[' . op21('add', '/custom', '"a\u0000b"') . ']', undef ],
    [ 'escapes', '[' . op21('add', '/e', '"\"\\\\\/\b\f\n\r\t\u00e9\u2028"')
                 . ']', undef ],
    [ 'markup-name', '[' . op21('add', '/<script>&"', '1') . ']', undef ],

    # objects of more than 8 members: the streaming reader's hash table,
    # shared by nested objects, duplicates found through it, long names
    [ 'wide', '[{"op":"add","path":"/x","value":"y",' . members('a' .. 'j')
              . '}]',
      '[{"add":"/x","value":"y",' . members('a' .. 'j') . '}]' ],
    [ 'wide-nested', '[{"op":"add","path":"/x","value":"y","w":{'
                     . members('a' .. 'k') . ',"n":{' . members('a' .. 'z')
                     . '},"z":{' . members('a' .. 'i') . '}},'
                     . members('a' .. 'i') . '},{' . members('a' .. 'l')
                     . ',"op":"remove","path":"/y"}]', undef ],
    [ 'wide-dup', '[{"op":"remove","path":"/x",' . members('a' .. 'l')
                  . ',"\u0066":0}]', undef ],
    [ 'wide-dup-late', '[{"op":"remove","path":"/x","v":{'
                       . members('a' .. 'p') . '},' . members('a' .. 'j')
                       . ',"path":"/y"}]', undef ],
    [ 'long-members', '[{"op":"add","path":"/x","value":"y","'
                      . ('k' x 300) . '":1,"' . ('k' x 299) . 'l":2,'
                      . members('a' .. 'h') . ',"' . ('k' x 300) . '":3}]',
      undef ],
    [ 'deep-2049', '[' x 2049 . ']' x 2049, undef ],
);

sub members { join ',', map { qq("$_":1) } @_ }

# [ name, Content-Type value ]
my @media = (
    [ 'v21', 'application/openstack-images-v2.1-json-patch' ],
    [ 'v20', 'application/openstack-images-v2.0-json-patch' ],
    [ 'mixed-case', 'Application/OpenStack-Images-V2.0-JSON-Patch' ],
    [ 'charset', 'application/openstack-images-v2.1-json-patch ; '
                 . 'charset=UTF-8' ],
    [ 'charset-quoted', "\tapplication/openstack-images-v2.1-json-patch;"
                        . 'charset="utf-8"' ],
    [ 'charset-escaped', 'application/openstack-images-v2.0-json-patch; '
                         . 'charset="UTF\-8"' ],
    [ 'charset-latin1', 'application/openstack-images-v2.1-json-patch; '
                        . 'charset=latin1' ],
    [ 'charset-empty', 'application/openstack-images-v2.1-json-patch; '
                       . 'charset=' ],
    [ 'params', 'application/openstack-images-v2.1-json-patch;;q = 1 ; '
                . 'foo="b\"ar";' ],
    [ 'empty-param', 'application/openstack-images-v2.1-json-patch;' ],
    [ 'bad-param', 'application/openstack-images-v2.1-json-patch; foo' ],
    [ 'unterminated', 'application/openstack-images-v2.1-json-patch; '
                      . 'foo="bar' ],
    [ 'spaces', '  application/openstack-images-v2.0-json-patch  ' ],
    [ 'json', 'application/json' ],
    [ 'json-patch', 'application/json-patch+json' ],
    [ 'merge-patch', 'application/merge-patch+json' ],
    [ 'v22', 'application/openstack-images-v2.2-json-patch' ],
    [ 'list', 'application/openstack-images-v2.1-json-patch, '
              . 'application/json' ],
    [ 'suffix', 'application/openstack-images-v2.1-json-patch+json' ],
    [ 'empty', '' ],
    [ 'no-subtype', 'application/' ],
    [ 'control', "application/openstack-images-v2.1-json-patch;a=\"\x7f\"" ],
);

# [ name, query, reject unknown ]
my @query = (
    # the IMS API reference, "Querying Images"
    [ 'spec-1', '__imagetype=gold&sort_key=name&limit=1' ],
    [ 'spec-2', '__imagetype=gold&visibility=public&protected=true' ],
    [ 'spec-3', 'owner=0f6e3b5c2a4d4e8f9a1b2c3d4e5f6a7b' ],
    [ 'spec-4', 'member_status=accepted&visibility=shared&'
                . '__imagetype=shared' ],
    [ 'spec-5', 'member_status=rejected&visibility=shared&'
                . '__imagetype=shared' ],
    [ 'spec-6', 'member_status=pending&visibility=shared&__imagetype=shared'
    ],

    # docs/rules.md, "Query"
    [ 'semicolon', 'limit=5;limit=x' ],
    [ 'escaped-name', '%6cimit=5&%6Eame=a+b' ],
    [ 'bad-escape', 'name=%zz' ],
    [ 'trailing-percent', 'name=x%' ],
    [ 'bad-utf8', 'name=%C0%80' ],
    [ 'emoji', 'name=%F0%9F%98%80&tag=%E4%B8%80' ],
    [ 'no-value', 'protected&limit=' ],
    [ 'empty-name', '=x&&a=1&' ],
    [ 'leading-zeros', 'limit=0002147483647&min_disk=01024' ],
    [ 'limits', 'limit=2147483648&min_ram=2147483647&size_min=0&'
                . 'size_max=9223372036854775807' ],
    [ 'min-disk', 'min_disk=1025' ],
    [ 'size-max', 'size_max=9223372036854775808' ],
    [ 'limit-sign', 'limit=+5' ],
    [ 'enums', 'status=active&os_hidden=false&__whole_image=true&'
               . '__isregistered=true&__os_type=Linux&__os_bit=64&'
               . '__platform=Red+Hat&virtual_env_type=FusionCompute&'
               . 'disk_format=zvhd2&container_format=bare' ],
    [ 'supports', '__support_kvm=true&__support_xen=true&'
                  . '__support_largememory=true&'
                  . '__support_diskintensive=true&'
                  . '__support_highperformance=true&'
                  . '__support_xen_hana=true&__support_kvm_infiniband=true&'
                  . '__support_xen_gpu_type=V100&'
                  . '__support_kvm_gpu_type=M60' ],
    [ 'support-false', '__support_kvm=false' ],
    [ 'imagetype', '__imagetype=market' ],
    [ 'os-type', '__os_type=linux' ],
    [ 'uuid', "marker=$ID&id=" . uc($ID) ],
    [ 'bad-uuid', 'marker=33ad552d1149471c8190ff6776174a00' ],
    [ 'owner', 'owner=abc_DEF-123' ],
    [ 'owner-bad', 'owner=a.b' ],
    [ 'eq', 'name=eq:Ubuntu:20.04&status=eq:active&visibility=eq:shared&'
            . 'member_status=pending&id=eq:' . $ID ],
    [ 'operators', 'name=Ubuntu:20.04' ],
    [ 'gt', 'status=gt:active' ],
    [ 'in', "id=in:$ID,$ID" ],
    [ 'EQ', 'disk_format=EQ:raw' ],
    [ 'member-alone', 'member_status=accepted' ],
    [ 'sort', 'sort=name:asc,status,created_at:desc,name' ],
    [ 'sort-bad', 'sort=name:up' ],
    [ 'sort-space', 'sort=name, status' ],
    [ 'sort-and-key', 'sort=name&sort_key=name' ],
    [ 'sort-keys', 'sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc' ],
    [ 'sort-dirs', 'sort_key=name&sort_dir=asc&sort_dir=desc' ],
    [ 'sort-key-space', 'sort_key=%20name%20' ],
    [ 'tags', 'tag=&tag=x&tag=' . ('t' x 255) ],
    [ 'tag-long', 'tag=' . ('t' x 256) ],
    [ 'name-long', 'name=' . ('n' x 256) ],
    [ 'repeat', 'limit=1&limit=2' ],
    [ 'time', 'created_at=gte:2024-02-29T12:00:00Z&'
              . 'updated_at=2024-01-31+23:59:59.123456789%2B05:30' ],
    [ 'time-ops', 'created_at=neq:0001-01-01T00:00:00.1-23:59' ],
    [ 'time-date', 'created_at=2024-02-29' ],
    [ 'time-feb', 'created_at=2023-02-29T00:00:00Z' ],
    [ 'time-bad', 'updated_at=lt:2024-13-01T24:00:00+24:00' ],
    [ 'changes-since', 'changes-since=2024-01-01T00:00:00Z' ],
    [ 'unknown', 'foo=bar&__os_version=x' ],
    [ 'unknown-rejected', 'foo=bar', 1 ],
    [ 'known-strict', 'limit=10&sort_key=created_at', 1 ],
);

# [ name, method, path, { query, type (Content-Type), prefix, header,
#   override } ]
my @route = (
    # docs/rules.md, "Routes": every alias of the two routes
    [ 'patch-v2', 'PATCH', "/v2/images/$ID" ],
    [ 'patch-v21', 'PATCH', "/v2.1/images/$ID",
      { type => 'application/openstack-images-v2.1-json-patch' } ],
    [ 'patch-v215', 'PATCH', "/v2.15/images/$ID" ],
    [ 'patch-bare', 'PATCH', "/images/$ID" ],
    [ 'patch-slashes', 'PATCH', "//v2/images/$ID" ],
    [ 'patch-prefix', 'PATCH', "/image/v2/images/$ID",
      { prefix => '/image/' } ],
    [ 'patch-prefix-bare', 'PATCH', "/image//images/$ID",
      { prefix => '/image' } ],
    [ 'patch-no-prefix', 'PATCH', "/v2.0/images/$ID", { prefix => 'image' } ],
    [ 'query-v2', 'GET', '/v2/cloudimages',
      { query => '__imagetype=gold&sort_key=name&limit=1' } ],
    [ 'query-head', 'HEAD', '/v2.1/cloudimages' ],
    [ 'query-bare', 'GET', '/cloudimages' ],
    [ 'query-prefix', 'GET', '/a/b//v2.0/cloudimages', { prefix => '/a/b' } ],

    # near misses: other routes
    [ 'v2-dot', 'PATCH', "/v2./images/$ID" ],
    [ 'v2-dot-x', 'PATCH', "/v2.x/images/$ID" ],
    [ 'v3', 'PATCH', "/v3/images/$ID" ],
    [ 'v21-no-slash', 'PATCH', "/v2.1images/$ID" ],
    [ 'images-x', 'PATCH', "/imagesX/$ID" ],
    [ 'trailing-slash', 'PATCH', "/v2/images/$ID/" ],
    [ 'file', 'PATCH', "/v2/images/$ID/file" ],
    [ 'tags', 'PATCH', "/v2/images/$ID/tags/x" ],
    [ 'no-id', 'PATCH', '/v2/images/' ],
    [ 'put', 'PUT', "/v2/images/$ID" ],
    [ 'patch-lower', 'patch', "/v2/images/$ID" ],
    [ 'query-slash', 'GET', '/v2/cloudimages/' ],
    [ 'query-post', 'POST', '/v2/cloudimages' ],
    [ 'prefix-partial', 'GET', '/image/cloudimages',
      { prefix => '/image/x' } ],
    [ 'prefix-refused', 'GET', '/a/../v2/cloudimages',
      { prefix => '/a/../b' } ],
    [ 'prefix-root', 'GET', '/v2/cloudimages', { prefix => '/' } ],

    # docs/rules.md, "Method override": the query
    [ 'method', 'POST', "/v2/images/$ID", { query => '_method=PATCH' } ],
    [ 'method-semicolon', 'GET', '/v2/cloudimages',
      { query => 'a=1;_method=PATCH' } ],
    [ 'method-escaped', 'POST', "/images/$ID", { query => '%5Fmethod=PATCH' }
    ],
    [ 'method-escaped-lower', 'GET', '/', { query => 'x&_%6dethod=1' } ],
    [ 'method-escaped-eq', 'GET', '/', { query => '_method%3D1' } ],
    [ 'method-no-value', 'GET', '/v2/cloudimages',
      { query => 'limit=1&_method' } ],
    [ 'method-in-value', 'GET', '/v2/cloudimages',
      { query => 'name=_method&x=%5Fmethod' } ],
    [ 'method-near', 'GET', '/v2/cloudimages',
      { query => 'x_method=1&_method+=2&_metho=3&_method%=4&%5Gmethod' } ],
    [ 'method-bad-escape', 'GET', '/', { query => '_method%2' } ],

    # the form POST
    [ 'form', 'POST', "/v2/images/$ID",
      { type => 'application/x-www-form-urlencoded' } ],
    [ 'form-multipart', 'POST', '/', { type => " \tMultipart/Form-Data ; "
                                              . 'boundary=x' } ],
    [ 'form-near', 'POST', '/',
      { type => 'application/x-www-form-urlencoded2' } ],
    [ 'form-patch', 'PATCH', "/v2/images/$ID",
      { type => 'multipart/form-data' } ],

    # the headers
    [ 'header', 'PATCH', "/v2/images/$ID",
      { header => 'X-HTTP-Method-Override' } ],
    [ 'header-short', 'GET', '/v2/cloudimages', { header => 'x-http-method' }
    ],
    [ 'header-method', 'GET', '/', { header => 'x-method-override' } ],
    [ 'header-near', 'GET', '/', { header => 'x-http-methods' } ],
    [ 'header-type', 'GET', '/', { header => 'Content-Type' } ],
    [ 'header-flag', 'DELETE', "/v2/images/$ID", { override => 1 } ],
);

remove_tree(map { "$out/$_" } qw(patch media_type query route));
make_path(map { "$out/$_" } qw(patch media_type query route));

my $n = 0;

sub put {
    my ($dir, $name, $bytes) = @_;
    open my $fh, '>', "$out/$dir/$name" or die "$out/$dir/$name: $!\n";
    binmode $fh;
    print $fh $bytes;
    close $fh;
    $n++;
}

for (@patch) {
    my ($name, $v21, $v20) = @$_;

    # control byte: dialect (bit 0), small limits (bit 1), operator
    # policy or record only (bit 2); patch_diff: depth 4096 (bit 3),
    # piece seed (bits 4-7)
    put('patch', "$name-v21", "\x01$v21") if defined $v21;
    put('patch', "$name-v20", "\x3c$v20") if defined $v20;
}

# the small limits and the operator's policy
put('patch', 'small-limits', "\x03[" . join(',', (op21('remove', '/x')) x 5)
                             . ']');
put('patch', 'small-name', "\x03[" . op21('add', '/name', '"abcdefghi"') . ','
                           . op21('add', '/__description', '"' . ('d' x 17)
                                                          . '"') . ']');
put('patch', 'policy', "\x05[" . op21('add', '/corp_x', '"y"') . ','
                       . op21('add', '/tags', '"y"') . ','
                       . op21('add', '/name', '"Abc"') . ']');
put('patch', 'small-depth', "\x07[[[" . op21('remove', '/x') . ']]]');
put('patch', 'depth-4096', "\x09" . '[' x 2049 . ']' x 2049);
put('patch', 'pieces', "\xa5[" . op21('add', '/\u0061b~1c',
                                      '"\ud800\udc00x\u00e9"') . ','
                       . op21('remove', '/name', '1.5e308') . ']');

for (@media) {
    put('media_type', $_->[0], $_->[1]);
}

for (@query) {
    put('query', $_->[0], ($_->[2] ? "\x01" : "\x00") . $_->[1]);
}

# control byte: an override header (bit 0), a prefix (bit 1); then method,
# path, query, Content-Type, prefix and header name, one a line
for (@route) {
    my ($name, $method, $path, $o) = @$_;

    $o //= {};

    put('route', $name, chr(($o->{override} ? 1 : 0)
                            | (defined $o->{prefix} ? 2 : 0))
                        . join("\n", $method, $path,
                               map { $o->{$_} // '' }
                                   qw(query type prefix header)));
}

print "gen-corpus: $n files in $out\n";
