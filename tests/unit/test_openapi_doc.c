/* SPDX-License-Identifier: MIT */
/* openapi_doc: YAML and JSON specs into trees, `$ref`s inside a file and across files
 * (resolved once, each file read once), JSON pointers, cycles refused and recursion
 * allowed, every problem located, locate() of any node, the files list. Each test runs in
 * its own process and temporary directory. */
#include <criterion/criterion.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "openapi_doc.h"
#include "testutil.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static struct diag_list diags;

static void setup(void)
{
	diag_list_init(&diags);
	tmpdir_enter("openapi-doc");
}

static void teardown(void)
{
	kept_release();
	diag_list_release(&diags);
	tmpdir_leave();
}

TestSuite(openapi_doc, .init = setup, .fini = teardown);

/* The document at file; fails the test, showing the diagnostics, when it does not load. */
static struct openapi_doc *load_ok(const char *file)
{
	struct openapi_doc *d = openapi_doc_load(file, &diags);
	char *why = diags_text(&diags);
	cr_assert_not_null(d, "%s does not load:\n%s", file, why);
	cr_assert_eq(diags.n, 0, "%s", why);
	free(why);
	return d;
}

/* Loads file expecting it to fail, and returns its diagnostics as text (kept). */
static const char *load_fails(const char *file)
{
	struct openapi_doc *d = openapi_doc_load(file, &diags);
	cr_assert_null(d, "%s loads, but should not", file);
	cr_assert_gt(diags.n, 0, "no diagnostic for %s", file);
	return keep(diags_text(&diags));
}

static void expect_has(const char *text, const char *want)
{
	cr_expect(strstr(text, want) != NULL, "expected\n  %s\nin\n%s", want, text);
}

/* The value at a dotted path under root (json_get_dotted). */
static const cJSON *at(const cJSON *root, const char *path)
{
	const cJSON *v = json_get_dotted(root, path);
	cr_assert_not_null(v, "nothing at %s", path);
	return v;
}

static void expect_loc(const struct openapi_doc *d, const cJSON *node, const char *file, int line, int col)
{
	const char *f;
	int l, c;
	openapi_doc_locate(d, node, &f, &l, &c);
	cr_expect_str_eq(f, file);
	cr_expect(l == line && c == col, "at %s:%d:%d, expected %s:%d:%d", f, l, c, file, line, col);
}

/* The target of the "$ref" member of the object at path. */
static const cJSON *target_of(const struct openapi_doc *d, const cJSON *root, const char *path)
{
	const cJSON *obj = at(root, path);
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(obj, "$ref");
	cr_assert(cJSON_IsString(ref), "no $ref at %s", path);
	const cJSON *t = openapi_doc_resolve((void *)d, ref->valuestring, ref);
	cr_assert_not_null(t, "%s does not resolve", ref->valuestring);
	cr_expect_eq(openapi_doc_deref(d, obj), openapi_doc_deref(d, t));
	return t;
}

/* ---- reading ---- */

Test(openapi_doc, yaml_scalars_are_typed_by_the_core_schema)
{
	put("api.yaml", "openapi: 3.0.3\n"
			"v:\n"
			"  null1: null\n"
			"  null2: ~\n"
			"  null3:\n"
			"  yes: true\n"
			"  no: False\n"
			"  int: -42\n"
			"  hex: 0x1F\n"
			"  oct: 0o17\n"
			"  float: 1.5e3\n"
			"  dot: .5\n"
			"  quoted: \"123\"\n"
			"  single: 'true'\n"
			"  tagged: !!str 12\n"
			"  text: hello world\n"
			"  yes_word: yes\n"
			"  block: |\n"
			"    two\n"
			"    lines\n"
			"  list: [1, a, {b: c}]\n");
	struct openapi_doc *d = load_ok("api.yaml");
	const cJSON *r = openapi_doc_root(d);
	cr_expect_str_eq(at(r, "openapi")->valuestring, "3.0.3");
	cr_expect(cJSON_IsNull(at(r, "v.null1")));
	cr_expect(cJSON_IsNull(at(r, "v.null2")));
	cr_expect(cJSON_IsNull(at(r, "v.null3")));
	cr_expect(cJSON_IsTrue(at(r, "v.yes")));
	cr_expect(cJSON_IsFalse(at(r, "v.no")));
	cr_expect_eq(at(r, "v.int")->valuedouble, -42);
	cr_expect_eq(at(r, "v.hex")->valuedouble, 31);
	cr_expect_eq(at(r, "v.oct")->valuedouble, 15);
	cr_expect_eq(at(r, "v.float")->valuedouble, 1500);
	cr_expect_eq(at(r, "v.dot")->valuedouble, 0.5);
	cr_expect_str_eq(at(r, "v.quoted")->valuestring, "123");
	cr_expect_str_eq(at(r, "v.single")->valuestring, "true");
	cr_expect_str_eq(at(r, "v.tagged")->valuestring, "12");
	cr_expect_str_eq(at(r, "v.text")->valuestring, "hello world");
	/* YAML 1.2: "yes" is a string */
	cr_expect_str_eq(at(r, "v.yes_word")->valuestring, "yes");
	cr_expect_str_eq(at(r, "v.block")->valuestring, "two\nlines\n");
	cr_expect_eq(at(r, "v.list.0")->valuedouble, 1);
	cr_expect_str_eq(at(r, "v.list.2.b")->valuestring, "c");
	openapi_doc_destroy(d);
}

Test(openapi_doc, json_spec_reads_through_cjson)
{
	put("api.json", "\xEF\xBB\xBF  {\"openapi\": \"3.1.0\", \"n\": 12.5, \"a\": [true, null],\n"
			" \"components\": {\"schemas\": {\"Pet\": {\"type\": \"object\"}}},\n"
			" \"x\": {\"$ref\": \"#/components/schemas/Pet\"}}\n");
	struct openapi_doc *d = load_ok("api.json");
	const cJSON *r = openapi_doc_root(d);
	cr_expect_str_eq(at(r, "openapi")->valuestring, "3.1.0");
	cr_expect_eq(at(r, "n")->valuedouble, 12.5);
	cr_expect(cJSON_IsTrue(at(r, "a.0")));
	cr_expect_eq(target_of(d, r, "x"), at(r, "components.schemas.Pet"));
	openapi_doc_destroy(d);
}

/* YAML's flow style starts with '{' too: text that is not JSON but is YAML reads as YAML. */
Test(openapi_doc, flow_yaml_starting_with_a_brace_reads_as_yaml)
{
	put("api.yaml", "{openapi: 3.0.0, info: {title: t}}\n");
	struct openapi_doc *d = load_ok("api.yaml");
	cr_expect_str_eq(at(openapi_doc_root(d), "info.title")->valuestring, "t");
	openapi_doc_destroy(d);
}

Test(openapi_doc, yaml_aliases_expand)
{
	put("api.yaml", "defs:\n"
			"  base: &b {type: string, maxLength: 3}\n"
			"use:\n"
			"  one: *b\n"
			"  two: *b\n");
	struct openapi_doc *d = load_ok("api.yaml");
	const cJSON *r = openapi_doc_root(d);
	cr_expect_eq(at(r, "use.two.maxLength")->valuedouble, 3);
	cr_expect_neq(at(r, "use.one"), at(r, "use.two"));
	/* an alias's copy stands where its anchor's node does */
	expect_loc(d, at(r, "use.two.type"), "api.yaml", 2, 19);
	openapi_doc_destroy(d);
}

/* ---- references inside one file ---- */

static const char petstore[] = "openapi: 3.0.3\n"
			       "info: {title: pets, version: '1'}\n"
			       "paths:\n"
			       "  /pets:\n"
			       "    get:\n"
			       "      responses:\n"
			       "        '200':\n"
			       "          $ref: '#/components/responses/Pets'\n"
			       "components:\n"
			       "  responses:\n"
			       "    Pets:\n"
			       "      description: pets\n"
			       "      content:\n"
			       "        application/json:\n"
			       "          schema:\n"
			       "            type: array\n"
			       "            items:\n"
			       "              $ref: '#/components/schemas/Pet'\n"
			       "  schemas:\n"
			       "    Pet:\n"
			       "      type: object\n"
			       "      properties:\n"
			       "        id: {$ref: '#/components/schemas/Id'}\n"
			       "    Id:\n"
			       "      $ref: '#/components/schemas/Int'\n"
			       "    Int: {type: integer}\n";

Test(openapi_doc, internal_refs_resolve)
{
	put("api.yaml", petstore);
	struct openapi_doc *d = load_ok("api.yaml");
	const cJSON *r = openapi_doc_root(d);
	const cJSON *pets = at(r, "components.responses.Pets");
	const cJSON *ok = at(r, "paths./pets.get.responses.200");
	cr_expect_eq(target_of(d, r, "paths./pets.get.responses.200"), pets);
	cr_expect_eq(openapi_doc_deref(d, ok), pets);
	cr_expect_eq(openapi_doc_deref(d, pets), pets);
	/* a chain of $refs is followed to its end */
	cr_expect_eq(openapi_doc_deref(d, at(r, "components.schemas.Pet.properties.id")),
		     at(r, "components.schemas.Int"));
	/* names the caller makes up resolve against the spec */
	cr_expect_eq(openapi_doc_resolve(d, "#/components/schemas/Pet", NULL), at(r, "components.schemas.Pet"));
	cr_expect_eq(openapi_doc_resolve(d, "#", NULL), r);
	cr_expect_eq(openapi_doc_resolve(d, "", NULL), r);
	cr_expect_null(openapi_doc_resolve(d, "#/components/schemas/Nope", NULL));
	cr_expect_null(openapi_doc_resolve(d, "other.yaml#/x", NULL));
	cr_expect_null(openapi_doc_resolve(d, "https://example.com/x.yaml", NULL));
	/* an item that is not a $ref: the ref is resolved relative to its file */
	cr_expect_eq(openapi_doc_resolve(d, "#/components/schemas/Int", at(r, "info.title")),
		     at(r, "components.schemas.Int"));
	size_t n;
	const char *const *files = openapi_doc_files(d, &n);
	cr_assert_eq(n, 1);
	cr_expect_str_eq(files[0], "api.yaml");
	openapi_doc_destroy(d);
}

Test(openapi_doc, recursive_schemas_load)
{
	put("api.yaml", "components:\n"
			"  schemas:\n"
			"    Node:\n"
			"      type: object\n"
			"      properties:\n"
			"        children: {type: array, items: {$ref: '#/components/schemas/Node'}}\n"
			"        parent: {$ref: '#/components/schemas/Node'}\n"
			"        next: {allOf: [{$ref: '#/components/schemas/List'}]}\n"
			"    List:\n"
			"      oneOf: [{$ref: '#/components/schemas/Node'}, {type: 'null'}]\n");
	struct openapi_doc *d = load_ok("api.yaml");
	const cJSON *r = openapi_doc_root(d);
	cr_expect_eq(target_of(d, r, "components.schemas.Node.properties.parent"), at(r, "components.schemas.Node"));
	openapi_doc_destroy(d);
}

Test(openapi_doc, json_pointer_escapes_and_percent_decoding)
{
	put("api.yaml", "paths:\n"
			"  /users/{id}:\n"
			"    get: {description: one user}\n"
			"weird:\n"
			"  m~n: tilde\n"
			"  a b: space\n"
			"  '%': percent\n"
			"  '': empty\n"
			"  ~1: literal tilde one\n"
			"refs:\n"
			"  - $ref: '#/paths/~1users~1%7Bid%7D/get'\n"
			"  - $ref: '#/weird/m~0n'\n"
			"  - $ref: '#/weird/a%20b'\n"
			"  - $ref: '#/weird/%25'\n"
			"  - $ref: '#/weird/'\n"
			"  - $ref: '#/weird/~01'\n");
	struct openapi_doc *d = load_ok("api.yaml");
	const cJSON *r = openapi_doc_root(d);
	cr_expect_str_eq(at(target_of(d, r, "refs.0"), "description")->valuestring, "one user");
	cr_expect_str_eq(target_of(d, r, "refs.1")->valuestring, "tilde");
	cr_expect_str_eq(target_of(d, r, "refs.2")->valuestring, "space");
	cr_expect_str_eq(target_of(d, r, "refs.3")->valuestring, "percent");
	cr_expect_str_eq(target_of(d, r, "refs.4")->valuestring, "empty");
	cr_expect_str_eq(target_of(d, r, "refs.5")->valuestring, "literal tilde one");
	openapi_doc_destroy(d);
}

Test(openapi_doc, array_indices_in_pointers)
{
	put("api.yaml", "servers:\n"
			"  - url: /a\n"
			"  - url: /b\n"
			"    variables: {v: {enum: [x, y]}}\n"
			"refs:\n"
			"  - $ref: '#/servers/1'\n"
			"  - $ref: '#/servers/0/url'\n"
			"  - $ref: '#/servers/1/variables/v/enum/1'\n");
	struct openapi_doc *d = load_ok("api.yaml");
	const cJSON *r = openapi_doc_root(d);
	cr_expect_eq(target_of(d, r, "refs.0"), at(r, "servers.1"));
	cr_expect_str_eq(target_of(d, r, "refs.1")->valuestring, "/a");
	cr_expect_str_eq(target_of(d, r, "refs.2")->valuestring, "y");
	openapi_doc_destroy(d);
}

Test(openapi_doc, discriminator_mapping_references_resolve)
{
	put("api.yaml", "components:\n"
			"  schemas:\n"
			"    Pet:\n"
			"      oneOf: [{$ref: '#/components/schemas/Cat'}, {$ref: 'dog.yaml'}]\n"
			"      discriminator:\n"
			"        propertyName: kind\n"
			"        mapping:\n"
			"          cat: '#/components/schemas/Cat'\n"
			"          dog: dog.yaml\n"
			"          cow: ./animals/cow.json\n"
			"          Cat: Cat\n"
			"    Cat: {type: object}\n");
	put("dog.yaml", "type: object\n");
	put("animals/cow.json", "{\"type\": \"object\"}\n");
	struct openapi_doc *d = load_ok("api.yaml");
	const cJSON *r = openapi_doc_root(d);
	const cJSON *m = at(r, "components.schemas.Pet.discriminator.mapping");
	const cJSON *cat = cJSON_GetObjectItemCaseSensitive(m, "cat");
	const cJSON *dog = cJSON_GetObjectItemCaseSensitive(m, "dog");
	cr_expect_eq(openapi_doc_resolve(d, cat->valuestring, cat), at(r, "components.schemas.Cat"));
	cr_expect_eq(openapi_doc_resolve(d, dog->valuestring, dog), target_of(d, r, "components.schemas.Pet.oneOf.1"));
	/* a bare name is the caller's to spell as a pointer */
	cr_expect_eq(openapi_doc_resolve(d, "#/components/schemas/Cat", NULL), at(r, "components.schemas.Cat"));
	size_t n;
	const char *const *files = openapi_doc_files(d, &n);
	cr_assert_eq(n, 3);
	cr_expect_str_eq(files[1], "dog.yaml");
	cr_expect_str_eq(files[2], "animals/cow.json");
	openapi_doc_destroy(d);
}

/* Examples, defaults and enums are data: a "$ref" inside them is not followed (GitHub's
 * own spec has examples holding `$ref`s to files it does not ship). */
Test(openapi_doc, refs_inside_literals_are_data)
{
	put("api.yaml", "components:\n"
			"  schemas:\n"
			"    A:\n"
			"      type: object\n"
			"      example: {$ref: missing.yaml}\n"
			"      default: {$ref: '#/nope'}\n"
			"      enum: [{$ref: '#/nope'}]\n"
			"      properties:\n"
			"        example: {$ref: '#/components/schemas/B'}\n"
			"        value: {$ref: '#/components/schemas/B'}\n"
			"    B: {type: string, examples: [{$ref: '#/nope'}]}\n"
			"  examples:\n"
			"    value:\n"
			"      summary: an Example named value\n"
			"      value: {$ref: '#/nope'}\n"
			"    other: {$ref: '#/components/examples/value'}\n");
	struct openapi_doc *d = load_ok("api.yaml");
	const cJSON *r = openapi_doc_root(d);
	cr_expect_eq(target_of(d, r, "components.schemas.A.properties.example"), at(r, "components.schemas.B"));
	cr_expect_eq(target_of(d, r, "components.schemas.A.properties.value"), at(r, "components.schemas.B"));
	cr_expect_eq(target_of(d, r, "components.examples.other"), at(r, "components.examples.value"));
	const cJSON *ex = at(r, "components.schemas.A.example");
	cr_expect_eq(openapi_doc_deref(d, ex), ex);
	openapi_doc_destroy(d);
}

/* ---- references to other files ---- */

Test(openapi_doc, refs_to_relative_files_up_and_down)
{
	put("specs/api.yaml", "openapi: 3.0.3\n"
			      "paths:\n"
			      "  /pets:\n"
			      "    $ref: paths/pets.yaml\n"
			      "components:\n"
			      "  schemas:\n"
			      "    Pet: {$ref: 'schemas/pet.yaml#/Pet'}\n");
	put("specs/paths/pets.yaml", "get:\n"
				     "  responses:\n"
				     "    '200':\n"
				     "      content:\n"
				     "        application/json:\n"
				     "          schema: {$ref: '../schemas/pet.yaml#/Pet'}\n");
	put("specs/schemas/pet.yaml", "Pet:\n"
				      "  type: object\n"
				      "  properties:\n"
				      "    tag: {$ref: './tag.json'}\n"
				      "    common: {$ref: '../../common.yaml#/Id'}\n");
	put("specs/schemas/tag.json", "{\"type\": \"string\"}");
	put("common.yaml", "Id: {type: integer}\n");
	/* decoys where a wrong base would look */
	put("specs/tag.json", "{\"type\": \"wrong\"}");
	put("specs/common.yaml", "Id: {type: wrong}\n");
	struct openapi_doc *d = load_ok("specs/api.yaml");
	const cJSON *r = openapi_doc_root(d);
	const cJSON *pet = target_of(d, r, "components.schemas.Pet");
	const cJSON *pets = target_of(d, r, "paths./pets");
	cr_expect_eq(target_of(d, pets, "get.responses.200.content.application/json.schema"), pet);
	cr_expect_str_eq(at(target_of(d, pet, "properties.tag"), "type")->valuestring, "string");
	cr_expect_str_eq(at(target_of(d, pet, "properties.common"), "type")->valuestring, "integer");
	size_t n;
	const char *const *files = openapi_doc_files(d, &n);
	cr_assert_eq(n, 5);
	cr_expect_str_eq(files[0], "specs/api.yaml");
	cr_expect_str_eq(files[1], "specs/paths/pets.yaml");
	cr_expect_str_eq(files[2], "specs/schemas/pet.yaml");
	cr_expect_str_eq(files[3], "specs/schemas/tag.json");
	cr_expect_str_eq(files[4], "common.yaml");
	/* located in their own files */
	expect_loc(d, pet, "specs/schemas/pet.yaml", 2, 3);
	expect_loc(d, at(pet, "properties.common"), "specs/schemas/pet.yaml", 5, 13);
	expect_loc(d, at(pets, "get.responses"), "specs/paths/pets.yaml", 3, 5);
	expect_loc(d, at(target_of(d, pet, "properties.tag"), "type"), "specs/schemas/tag.json", 1, 10);
	/* a ref resolved now, from an item of a referenced file: relative to that file */
	cr_expect_eq(openapi_doc_resolve(d, "../../common.yaml#/Id", at(pet, "type")),
		     target_of(d, pet, "properties.common"));
	cr_expect_eq(openapi_doc_resolve(d, "#/Pet", at(pet, "type")), pet);
	openapi_doc_destroy(d);
}

/* A file reader that counts reads, from disk. */
static int counted_reads;

static int counting_read(void *cls, const char *path, size_t max, char **text, size_t *len, char **id)
{
	(void)cls;
	(void)max;
	counted_reads++;
	*text = read_file(path, len);
	if (!*text)
		return -ENOENT;
	*id = realpath(path, NULL);
	return 0;
}

Test(openapi_doc, a_file_reached_from_two_places_is_read_once)
{
	put("api.yaml", "a: {$ref: 'schemas/pet.yaml'}\n"
			"b: {$ref: './schemas/../schemas/pet.yaml#'}\n"
			"c: {$ref: 'other/x.yaml'}\n"
			"d: {$ref: 'link.yaml'}\n");
	put("schemas/pet.yaml", "type: object\n");
	put("other/x.yaml", "$ref: ../schemas/pet.yaml\n");
	cr_assert_eq(symlink("schemas/pet.yaml", "link.yaml"), 0);
	struct openapi_doc_reader rd = { counting_read, NULL };
	struct openapi_doc *d = openapi_doc_load_with("api.yaml", &rd, &diags);
	cr_assert_not_null(d);
	const cJSON *r = openapi_doc_root(d);
	const cJSON *pet = target_of(d, r, "a");
	cr_expect_eq(target_of(d, r, "b"), pet);
	cr_expect_eq(openapi_doc_deref(d, at(r, "c")), pet);
	cr_expect_eq(target_of(d, r, "d"), pet);
	size_t n;
	const char *const *files = openapi_doc_files(d, &n);
	cr_assert_eq(n, 3);
	cr_expect_str_eq(files[1], "schemas/pet.yaml");
	cr_expect_str_eq(files[2], "other/x.yaml");
	/* api, pet, x, and link.yaml (found to be pet by its realpath) */
	cr_expect_eq(counted_reads, 4);
	openapi_doc_destroy(d);
}

Test(openapi_doc, percent_encoded_file_names)
{
	put("api.yaml", "a: {$ref: 'my%20schemas/pet%2Eyaml#/type'}\n");
	put("my schemas/pet.yaml", "type: object\n");
	struct openapi_doc *d = load_ok("api.yaml");
	cr_expect_str_eq(target_of(d, openapi_doc_root(d), "a")->valuestring, "object");
	size_t n;
	cr_expect_str_eq(openapi_doc_files(d, &n)[1], "my schemas/pet.yaml");
	openapi_doc_destroy(d);
}

Test(openapi_doc, absolute_spec_path_and_refs)
{
	char cwd[PATH_MAX], spec[PATH_MAX + 16];
	cr_assert_not_null(getcwd(cwd, sizeof cwd));
	put("s/api.yaml", "a: {$ref: '../c.yaml'}\n");
	put("c.yaml", "x: 1\n");
	snprintf(spec, sizeof spec, "%s/s/api.yaml", cwd);
	struct openapi_doc *d = load_ok(spec);
	size_t n;
	const char *const *files = openapi_doc_files(d, &n);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(files[0], spec);
	char want[PATH_MAX + 16];
	snprintf(want, sizeof want, "%s/c.yaml", cwd);
	cr_expect_str_eq(files[1], want);
	openapi_doc_destroy(d);
}

Test(openapi_doc, paths_above_the_working_directory_stay_relative)
{
	put("s/api.yaml", "a: {$ref: '../c.yaml#/x'}\nb: {$ref: '../s/./../c.yaml'}\n");
	put("c.yaml", "x: 1\n");
	make_dir("w");
	cr_assert_eq(chdir("w"), 0);
	struct openapi_doc *d = load_ok("../s/api.yaml");
	size_t n;
	const char *const *files = openapi_doc_files(d, &n);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(files[0], "../s/api.yaml");
	cr_expect_str_eq(files[1], "../c.yaml");
	expect_loc(d, target_of(d, openapi_doc_root(d), "a"), "../c.yaml", 1, 4);
	cr_expect_eq(chdir(".."), 0);
	openapi_doc_destroy(d);
}

/* ---- cycles ---- */

Test(openapi_doc, a_ref_to_itself_is_refused)
{
	put("api.yaml", "components:\n"
			"  schemas:\n"
			"    A:\n"
			"      $ref: '#/components/schemas/A'\n");
	const char *text = load_fails("api.yaml");
	cr_expect_str_eq(text, "api.yaml:4:13: error: '$ref' '#/components/schemas/A' leads back to itself\n");
}

Test(openapi_doc, a_two_step_cycle_is_refused_once)
{
	put("api.yaml", "components:\n"
			"  schemas:\n"
			"    User: {$ref: '#/components/schemas/A'}\n"
			"    A: {$ref: '#/components/schemas/B'}\n"
			"    B:\n"
			"      $ref: '#/components/schemas/A'\n");
	const char *text = load_fails("api.yaml");
	cr_expect_str_eq(text, "api.yaml:4:15: error: '$ref' '#/components/schemas/B' leads back to itself "
			       "through '#/components/schemas/A' (api.yaml:6:13)\n");
}

Test(openapi_doc, a_cycle_across_files_is_refused)
{
	put("api.yaml", "x: {$ref: 'defs/a.yaml'}\n");
	put("defs/a.yaml", "$ref: b.json#/B\n");
	put("defs/b.json", "{\n  \"B\": {\"$ref\": \"a.yaml\"}\n}\n");
	const char *text = load_fails("api.yaml");
	cr_expect_str_eq(text, "defs/a.yaml:1:7: error: '$ref' 'b.json#/B' leads back to itself through "
			       "'a.yaml' (defs/b.json:2:17)\n");
}

Test(openapi_doc, the_root_referring_to_itself_is_a_cycle)
{
	put("api.json", "{\"$ref\": \"#\"}");
	const char *text = load_fails("api.json");
	cr_expect_str_eq(text, "api.json:1:10: error: '$ref' '#' leads back to itself\n");
}

/* ---- broken references ---- */

Test(openapi_doc, broken_refs_are_located_and_told_together)
{
	put("api.yaml", "openapi: 3.0.3\n"
			"info: {title: t}\n"
			"tags: [{name: a}]\n"
			"components:\n"
			"  schemas:\n"
			"    A: {$ref: '#/components/schemas/Nope'}\n"
			"    B: {$ref: '#/Nope'}\n"
			"    C: {$ref: 'missing.yaml#/C'}\n"
			"    D: {$ref: 'https://example.com/d.yaml'}\n"
			"    E: {$ref: '#/tags/5'}\n"
			"    F: {$ref: '#/tags/x'}\n"
			"    G: {$ref: '#/info/title/x'}\n"
			"    H: {$ref: '#Pet'}\n"
			"    I: {$ref: '#/a~2b'}\n"
			"    J: {$ref: '#/a%zz'}\n"
			"    K: {$ref: 'urn:x:y'}\n"
			"    L: {$ref: 'missing.yaml'}\n"
			"    M: {$ref: '#/tags/01'}\n");
	const char *text = load_fails("api.yaml");
	cr_expect_str_eq(text,
			 "api.yaml:6:15: error: '$ref' '#/components/schemas/Nope' does not resolve: no member 'Nope' "
			 "in '#/components/schemas'\n"
			 "api.yaml:7:15: error: '$ref' '#/Nope' does not resolve: no member 'Nope' at the top of this "
			 "file\n"
			 "api.yaml:8:15: error: cannot read 'missing.yaml' (named by '$ref' 'missing.yaml#/C'): No such "
			 "file or directory\n"
			 "api.yaml:9:15: error: remote '$ref' 'https://example.com/d.yaml' is not supported: download it "
			 "and refer to the local file\n"
			 "api.yaml:10:15: error: '$ref' '#/tags/5' does not resolve: no item 5 in '#/tags' (it has 1)\n"
			 "api.yaml:11:15: error: '$ref' '#/tags/x' does not resolve: 'x' is not an index into the array "
			 "'#/tags'\n"
			 "api.yaml:12:15: error: '$ref' '#/info/title/x' does not resolve: '#/info/title' is a string, "
			 "not an object or an array\n"
			 "api.yaml:13:15: error: '$ref' '#Pet' does not resolve: what follows '#' must be a JSON pointer "
			 "('#/a/b'); anchors ('#name') are not supported\n"
			 "api.yaml:14:15: error: '$ref' '#/a~2b' does not resolve: '~' must be followed by 0 or 1 ('~0' "
			 "is '~', '~1' is '/')\n"
			 "api.yaml:15:15: error: '$ref' '#/a%zz' does not resolve: a bad percent escape in its '#' "
			 "pointer\n"
			 "api.yaml:16:15: error: '$ref' 'urn:x:y' is not supported: a reference is a path to a local "
			 "file and a '#' pointer into it\n"
			 "api.yaml:18:15: error: '$ref' '#/tags/01' does not resolve: '01' is not an index into the "
			 "array '#/tags'\n");
}

Test(openapi_doc, a_missing_member_of_another_file)
{
	put("specs/api.yaml", "x:\n  $ref: 'common/defs.json#/defs/Nope'\n");
	put("specs/common/defs.json", "{\"defs\": {}}");
	const char *text = load_fails("specs/api.yaml");
	cr_expect_str_eq(text, "specs/api.yaml:2:9: error: '$ref' 'common/defs.json#/defs/Nope' does not resolve: "
			       "no member 'Nope' in 'common/defs.json#/defs'\n");
}

/* A discriminator mapping that names nothing (a bundled spec keeping the names of files it
 * did not bundle: DigitalOcean's) is not an error; it resolves to nothing, and the schema
 * compiler tries the branches without it. */
Test(openapi_doc, a_broken_mapping_value)
{
	put("api.yaml", "S:\n"
			"  discriminator:\n"
			"    propertyName: k\n"
			"    mapping: {a: '#/nope', b: 'gone.yaml#/B'}\n");
	struct openapi_doc *d = load_ok("api.yaml");
	const cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(openapi_doc_root(d), "S"),
								 "discriminator"), "mapping");
	cr_expect_null(openapi_doc_resolve(d, "#/nope", cJSON_GetObjectItem(m, "a")));
	cr_expect_null(openapi_doc_resolve(d, "gone.yaml#/B", cJSON_GetObjectItem(m, "b")));
	size_t n;
	const char *const *files = openapi_doc_files(d, &n);
	cr_expect_eq(n, 1, "gone.yaml was never read: not a file of the spec");
	cr_expect_str_eq(files[0], "api.yaml");
	openapi_doc_destroy(d);
}

/* ---- syntax and reading ---- */

Test(openapi_doc, yaml_syntax_errors_are_located)
{
	put("api.yaml", "openapi: 3.0.3\ninfo:\n  title: [unclosed\n");
	const char *text = load_fails("api.yaml");
	cr_expect(strncmp(text, "api.yaml:4:1: error: yaml syntax: ", 34) == 0, "%s", text);
}

Test(openapi_doc, json_syntax_errors_are_located)
{
	put("api.json", "{\n  \"openapi\": \"3.0.3\",\n  \"info\": {\"title\": \"x\" \"y\"}\n}\n");
	const char *text = load_fails("api.json");
	cr_expect_str_eq(text, "api.json:3:25: error: json syntax: not valid JSON\n");
}

/* Text that starts like JSON but is not, while it is YAML's flow style, is read as YAML. */
Test(openapi_doc, json_with_slips_that_yaml_reads)
{
	put("api.json", "{\"openapi\": '3.0.3', info: {\"title\": tx,}}\n");
	struct openapi_doc *d = load_ok("api.json");
	const cJSON *r = openapi_doc_root(d);
	cr_expect_str_eq(at(r, "info.title")->valuestring, "tx");
	expect_loc(d, at(r, "info.title"), "api.json", 1, 38);
	openapi_doc_destroy(d);
}

Test(openapi_doc, syntax_errors_in_referenced_files_name_them)
{
	put("api.yaml", "a: {$ref: 'sub/bad.yaml#/x'}\nb: {$ref: 'sub/bad.yaml#/y'}\n");
	put("sub/bad.yaml", "x: 1\n y: 2\n");
	const char *text = load_fails("api.yaml");
	cr_expect(strncmp(text, "sub/bad.yaml:2:3: error: yaml syntax: ", 38) == 0, "%s", text);
	cr_expect_eq(diags.n, 1, "%s", text);
}

Test(openapi_doc, duplicate_keys_are_errors_at_the_key)
{
	put("api.yaml", "a: 1\nb:\n  c: 1\n  c: 2\n");
	put("api.json", "{\"a\": 1,\n \"b\": {\"c\": 1, \"c\": 2}}");
	cr_expect_str_eq(load_fails("api.yaml"), "api.yaml:4:3: error: duplicate key 'c'\n");
	diag_list_release(&diags);
	cr_expect_str_eq(load_fails("api.json"), "api.json:2:16: error: duplicate key 'c'\n");
}

Test(openapi_doc, many_duplicate_keys_in_a_big_object)
{
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < 40; i++)
		strbuf_addf(&sb, "k%d: %d\n", i % 30, i);
	put("api.yaml", sb.buf);
	strbuf_release(&sb);
	const char *text = load_fails("api.yaml");
	cr_expect_eq(diags.n, 10, "%s", text);
	expect_has(text, "api.yaml:31:1: error: duplicate key 'k0'\n");
}

Test(openapi_doc, one_document_per_file)
{
	put("api.yaml", "a: 1\n---\nb: 2\n");
	cr_expect_str_eq(load_fails("api.yaml"), "api.yaml:3:1: error: a spec file holds one document; this is a "
						 "second one\n");
}

Test(openapi_doc, bad_scalars)
{
	put("api.yaml", "? {a: 1}\n: first\nbig: 1e999\nnul: \"a\\0b\"\n? [x]\n: complex key\nhex: 0x1F\n"
			"hexbig: 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
			"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
			"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\n");
	const char *text = load_fails("api.yaml");
	cr_expect_str_eq(text, "api.yaml:1:3: error: a key must be a scalar, got a mapping\n"
			       "api.yaml:3:6: error: number '1e999' is out of range\n"
			       "api.yaml:4:6: error: a NUL character in a string\n"
			       "api.yaml:5:3: error: a key must be a scalar, got a sequence\n"
			       "api.yaml:8:9: error: number '0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF...' "
			       "is out of range\n");
}

Test(openapi_doc, empty_files)
{
	put("api.yaml", "");
	put("c.yaml", "# only a comment\n");
	put("b.yaml", "x: {$ref: 'c.yaml'}\n");
	cr_expect_str_eq(load_fails("api.yaml"), "api.yaml: error: the file is empty\n");
	diag_list_release(&diags);
	cr_expect_str_eq(load_fails("b.yaml"), "c.yaml: error: the file is empty\n");
}

Test(openapi_doc, a_directory_or_a_missing_file_as_the_spec)
{
	make_dir("specs");
	cr_expect_str_eq(load_fails("specs"), "specs: error: cannot read 'specs': it is a directory\n");
	diag_list_release(&diags);
	cr_expect_str_eq(load_fails("nope.yaml"), "nope.yaml: error: cannot read 'nope.yaml': No such file or "
						  "directory\n");
}

Test(openapi_doc, a_ref_to_a_directory)
{
	put("api.yaml", "x: {$ref: 'sub/'}\n");
	put("sub/a.yaml", "a: 1\n");
	cr_expect_str_eq(load_fails("api.yaml"), "api.yaml:1:11: error: cannot read 'sub' (named by '$ref' 'sub/'): "
						 "it is a directory\n");
}

/* ---- bounds, through a reader of files made up in memory ---- */

/* "fN.yaml" is a $ref to "f(N+1).yaml", without end. */
static int chain_read(void *cls, const char *path, size_t max, char **text, size_t *len, char **id)
{
	(void)cls;
	(void)max;
	int n;
	if (sscanf(path, "f%d.yaml", &n) != 1)
		return -ENOENT;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "$ref: f%d.yaml\n", n + 1);
	*text = strbuf_detach(&sb, len);
	*id = xstrdup(path);
	return 0;
}

Test(openapi_doc, the_file_bound)
{
	struct openapi_doc_reader rd = { chain_read, NULL };
	cr_assert_null(openapi_doc_load_with("f0.yaml", &rd, &diags));
	char *text = diags_text(&diags);
	cr_expect_str_eq(text, "f999.yaml:1:7: error: '$ref' 'f1000.yaml' reaches more than 1000 files\n");
	free(text);
}

static int big_read(void *cls, const char *path, size_t max, char **text, size_t *len, char **id)
{
	(void)cls;
	if (strcmp(path, "big.yaml") == 0 && max < ((size_t)1 << 30))
		return -EFBIG;
	*text = xstrdup("x: {$ref: big.yaml}\n");
	*len = strlen(*text);
	*id = xstrdup(path);
	return 0;
}

Test(openapi_doc, the_byte_bound)
{
	struct openapi_doc_reader rd = { big_read, NULL };
	cr_assert_null(openapi_doc_load_with("api.yaml", &rd, &diags));
	char *text = diags_text(&diags);
	cr_expect_str_eq(text, "api.yaml:1:11: error: cannot read 'big.yaml' (named by '$ref' 'big.yaml'): the "
			       "files of this spec would hold more than 256 MiB together\n");
	free(text);
}

/* ---- locations ---- */

Test(openapi_doc, locate_in_yaml)
{
	put("api.yaml", petstore);
	struct openapi_doc *d = load_ok("api.yaml");
	const cJSON *r = openapi_doc_root(d);
	expect_loc(d, r, "api.yaml", 1, 1);
	expect_loc(d, at(r, "openapi"), "api.yaml", 1, 10);
	expect_loc(d, at(r, "info.version"), "api.yaml", 2, 30);
	expect_loc(d, at(r, "paths./pets.get.responses.200"), "api.yaml", 8, 11);
	expect_loc(d, at(r, "paths./pets.get.responses.200.$ref"), "api.yaml", 8, 17);
	expect_loc(d, at(r, "components.schemas.Int.type"), "api.yaml", 26, 17);
	expect_loc(d, at(r, "components.schemas.Pet.properties.id"), "api.yaml", 23, 13);
	/* not from d */
	cJSON *other = cJSON_CreateObject();
	expect_loc(d, other, "api.yaml", 0, 0);
	cJSON_Delete(other);
	openapi_doc_destroy(d);
}

Test(openapi_doc, locate_in_json)
{
	put("api.json", "{\n"
			"\t\"openapi\":\"3.0.3\",\n"
			"  \"info\": {\"title\": \"caf\xC3\xA9\", \"x\": [1, -2.5e3, true, null, {\"y\": \"\\\"}\"}]},\n"
			"  \"z\": \"\xC3\xA9\"\n"
			"}\n");
	struct openapi_doc *d = load_ok("api.json");
	const cJSON *r = openapi_doc_root(d);
	expect_loc(d, r, "api.json", 1, 1);
	expect_loc(d, at(r, "openapi"), "api.json", 2, 12);
	expect_loc(d, at(r, "info"), "api.json", 3, 11);
	expect_loc(d, at(r, "info.x"), "api.json", 3, 34);
	expect_loc(d, at(r, "info.x.1"), "api.json", 3, 38);
	expect_loc(d, at(r, "info.x.3"), "api.json", 3, 52);
	expect_loc(d, at(r, "info.x.4.y"), "api.json", 3, 64);
	expect_loc(d, at(r, "z"), "api.json", 4, 8);
	openapi_doc_destroy(d);
}

/* JSON that libyaml refuses (a key longer than 1024 characters) loads and locates. */
Test(openapi_doc, locate_in_json_with_a_long_key)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_adds(&sb, "{\"");
	for (int i = 0; i < 2000; i++)
		strbuf_addc(&sb, 'k');
	strbuf_adds(&sb, "\": 1,\n \"b\": {\"$ref\": \"#/c\"}, \"c\": 2}");
	put("api.json", sb.buf);
	strbuf_release(&sb);
	struct openapi_doc *d = load_ok("api.json");
	const cJSON *r = openapi_doc_root(d);
	expect_loc(d, at(r, "b"), "api.json", 2, 7);
	expect_loc(d, at(r, "c"), "api.json", 2, 29);
	openapi_doc_destroy(d);
}

struct locate_job {
	const struct openapi_doc *d;
	const cJSON *node;
	int fails;
};

static void *locate_many(void *arg)
{
	struct locate_job *j = arg;
	for (int i = 0; i < 200; i++) {
		const char *f;
		int l, c;
		openapi_doc_locate(j->d, j->node, &f, &l, &c);
		if (strcmp(f, "specs/schemas/pet.yaml") || l != 2 || c != 11)
			j->fails++;
		if (!openapi_doc_resolve((void *)j->d, "#/components/schemas/Pet", NULL))
			j->fails++;
	}
	return NULL;
}

Test(openapi_doc, locate_and_resolve_from_several_threads)
{
	put("specs/api.yaml", "components:\n  schemas:\n    Pet: {$ref: 'schemas/pet.yaml'}\n");
	put("specs/schemas/pet.yaml", "type: object\nrequired: [id]\n");
	struct openapi_doc *d = load_ok("specs/api.yaml");
	const cJSON *node = at(target_of(d, openapi_doc_root(d), "components.schemas.Pet"), "required");
	pthread_t t[4];
	struct locate_job jobs[4];
	for (int i = 0; i < 4; i++) {
		jobs[i] = (struct locate_job){ d, node, 0 };
		cr_assert_eq(pthread_create(&t[i], NULL, locate_many, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(jobs[i].fails, 0);
	}
	openapi_doc_destroy(d);
}

Test(openapi_doc, destroy_null_does_nothing)
{
	openapi_doc_destroy(NULL);
}
