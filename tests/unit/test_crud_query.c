/* SPDX-License-Identifier: MIT */
/* crud_query: json-server 0.17's list options over a fixed data set. The expected answers
 * were taken from json-server 0.17.4 run on the same data, except for SPEC section 10's
 * deliberate differences (_lt and _gt work; a bad _like pattern is refused). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crud_query.h"
#include "testutil.h"

static const char *const data =
	"{\"posts\": ["
	"{\"id\":1,\"title\":\"json-server\",\"author\":\"typicode\",\"views\":100,"
	"  \"meta\":{\"tags\":[\"a\",\"b\"],\"score\":4.5}},"
	"{\"id\":2,\"title\":\"Another\",\"author\":\"bob\",\"views\":20,\"meta\":{\"tags\":[\"c\"],\"score\":3}},"
	"{\"id\":3,\"title\":\"Third post\",\"author\":\"alice\",\"views\":\"300\",\"draft\":true,\"n\":null},"
	"{\"id\":4,\"title\":\"Fourth\",\"author\":\"Bob\",\"views\":7,\"draft\":false,\"list\":[1,null,\"x\"]},"
	"{\"id\":\"5\",\"title\":\"\",\"author\":\"carol\",\"views\":0,\"meta\":{\"score\":\"4\"}},"
	"{\"id\":6,\"title\":\"six\",\"author\":\"dan\",\"views\":100},"
	"{\"id\":7,\"title\":\"seven\",\"author\":\"eve\",\"views\":-3.5},"
	"{\"id\":8,\"title\":\"eight\",\"author\":\"eve\",\"views\":1.5},"
	"{\"id\":9,\"title\":\"nine\",\"author\":\"frank\",\"views\":10},"
	"{\"id\":10,\"title\":\"ten\",\"author\":\"gina\",\"views\":11},"
	"{\"id\":11,\"title\":\"eleven\",\"author\":\"hal\",\"views\":12},"
	"{\"id\":12,\"title\":\"twelve\",\"author\":\"ivy\",\"views\":13}],"
	"\"comments\": [{\"id\":1,\"body\":\"one\",\"postId\":1},{\"id\":2,\"body\":\"two\",\"postId\":2},"
	"  {\"id\":3,\"body\":\"three\",\"postId\":1},{\"id\":4,\"body\":\"str\",\"postId\":\"5\"},"
	"  {\"id\":5,\"body\":\"lost\",\"postId\":99},{\"id\":6,\"body\":\"none\"}],"
	"\"categories\": [{\"id\":1,\"name\":\"x\"}],"
	"\"items\": [{\"id\":1,\"categoryId\":1},{\"id\":2,\"categoryId\":\"1\"}],"
	"\"empty\": [],"
	"\"profile\": {\"name\":\"typicode\"}}";

#define URL "http://localhost:3000/posts"

/* GET /key?query: the answer's ids; *total and *link (when not NULL) get the headers. */
static char *list_in(const char *key, const char *query, long long *total, char **link)
{
	struct kv kv[32];
	char *copy;
	size_t n = split_query(query, kv, 32, &copy);
	char *err = NULL;
	struct crud_query *q = crud_query_parse(kv, n, &err);
	cr_assert_not_null(q, "%s: %s", query, err);
	cJSON *db = json_or_fail(data);
	char url[512];
	snprintf(url, sizeof(url), "%s?%s", URL, query);
	struct crud_page page;
	crud_query_list(q, db, key, url, &page);
	char *ids = ids_of(page.items);
	if (total)
		*total = page.total;
	if (link)
		*link = page.link;
	else
		free(page.link);
	cJSON_Delete(page.items);
	cJSON_Delete(db);
	crud_query_destroy(q);
	free(copy);
	return ids;
}

static void expect_ids(const char *query, const char *want)
{
	char *got = list_in("posts", query, NULL, NULL);
	cr_expect_str_eq(got, want, "?%s", query);
	free(got);
}

Test(crud_query, no_options_list_everything)
{
	expect_ids("", "1,2,3,4,5,6,7,8,9,10,11,12");
	char *got = list_in("empty", "views=1&_sort=id", NULL, NULL);
	cr_expect_str_eq(got, "");
	free(got);
	got = list_in("profile", "", NULL, NULL);
	cr_expect_str_eq(got, "", "a singular resource is no list");
	free(got);
}

Test(crud_query, equality_filters_compare_text)
{
	expect_ids("views=100", "1,6");
	expect_ids("views=100&views=7", "1,4,6");             /* repeated: any of */
	expect_ids("views=300", "3");                         /* "300" and 300 are the same text */
	expect_ids("id=5", "5");
	expect_ids("draft=false", "4");
	expect_ids("meta.score=4", "5");                      /* nested */
	expect_ids("meta.tags=a,b", "1");                     /* an array is its joined text */
	expect_ids("list=1,,x", "4");
	expect_ids("author=bob&views=20", "2");               /* several: all of them */
	expect_ids("title=", "5");
	expect_ids("n=null", "");                           /* null passes no test */
}

Test(crud_query, a_filter_no_item_has_is_dropped)
{
	/* json-server deletes query parameters "that can't be found in the database" */
	expect_ids("nothere=1", "1,2,3,4,5,6,7,8,9,10,11,12");
	expect_ids("callback=f&_=123", "1,2,3,4,5,6,7,8,9,10,11,12");
	expect_ids("nothere_ne=1", "");                     /* an operator always counts */
}

Test(crud_query, ne_excludes_every_value)
{
	expect_ids("views_ne=100&views_ne=7", "2,3,5,7,8,9,10,11,12");
	expect_ids("draft_ne=true", "4");                     /* a missing value passes no test */
}

Test(crud_query, ranges_compare_as_javascript)
{
	expect_ids("views_gte=100", "1,3,6");
	expect_ids("views_lte=10", "4,5,7,8,9");
	expect_ids("views_gte=10&views_lte=100", "1,2,6,9,10,11,12");
	expect_ids("views_gte=abc", "");                      /* NaN: no relation holds */
	expect_ids("title_gte=s", "6,7,10,12");            /* strings: by code units */
	/* _lt and _gt: SPEC's difference, json-server 0.17 ignores them */
	expect_ids("views_lt=10", "4,5,7,8");
	expect_ids("views_gt=100", "3");
	expect_ids("views_gt=7&views_lt=13", "9,10,11");
}

Test(crud_query, like_is_a_case_insensitive_search)
{
	expect_ids("title_like=^t", "3,10,12");
	expect_ids("title_like=E$", "9,12");
	expect_ids("author_like=bob", "2,4");
	expect_ids("title_like=zzz&title_like=six", "6");     /* any of */
	expect_ids("meta.tags_like=c", "2");
	expect_ids("views_like=^1", "1,6,8,9,10,11,12");      /* numbers as text */
}

Test(crud_query, a_bad_like_pattern_is_refused)
{
	struct kv kv[] = { { "title_like", "(", 1 } };
	char *err = NULL;
	cr_expect_null(crud_query_parse(kv, 1, &err));
	cr_assert_not_null(err);
	cr_expect(strstr(err, "'title_like' is not a regular expression") == err, "%s", err);
	free(err);
}

Test(crud_query, q_searches_nested_values_and_numbers)
{
	expect_ids("q=BOB", "2,4");
	expect_ids("q=4.5", "1");                             /* nested, and a number's text */
	expect_ids("q=true", "3");
	expect_ids("q=0", "1,2,3,6,9,10");                        /* 0 itself is falsy: not searched */
	expect_ids("q=", "1,2,3,4,5,6,7,8,9,10,11,12");       /* empty: no search */
	expect_ids("q=nul", "");                            /* null is falsy too */
	expect_ids("q=x&q=bob", "4,6");                         /* the first q counts */
	expect_ids("q=e&author=eve", "7,8");
}

Test(crud_query, sort_is_stable_with_missing_values_last)
{
	expect_ids("_sort=views", "7,5,8,4,9,10,11,12,2,1,6,3");
	expect_ids("_sort=views&_order=desc", "3,1,6,2,12,11,10,9,4,8,5,7");
	expect_ids("_sort=author,id&_order=asc,desc", "4,3,2,5,6,8,7,9,10,11,12,1");
	/* desc puts missing values first, then the rest */
	expect_ids("_sort=meta.score&_order=desc", "3,4,6,7,8,9,10,11,12,1,5,2");
	expect_ids("_sort=title", "5,2,4,3,8,11,1,9,7,6,10,12");
	expect_ids("_sort=draft", "4,3,1,2,5,6,7,8,9,10,11,12");
	expect_ids("_sort=", "1,2,3,4,5,6,7,8,9,10,11,12");
}

static void expect_slice(const char *query, const char *want, long long want_total)
{
	long long total;
	char *got = list_in("posts", query, &total, NULL);
	cr_expect_str_eq(got, want, "?%s", query);
	cr_expect_eq(total, want_total, "?%s: X-Total-Count %lld, want %lld", query, total, want_total);
	free(got);
}

Test(crud_query, start_end_and_limit_slice)
{
	expect_slice("_start=2&_end=4", "3,4", 12);
	expect_slice("_end=2", "1,2", 12);
	expect_slice("_start=-3&_end=-1", "10,11", 12);
	expect_slice("_start=10&_limit=5", "11,12", 12);
	expect_slice("_limit=2", "1,2", 12);
	expect_slice("_start=-1&_limit=5", "", 12);      /* slice(-1, 4) */
	expect_slice("_start=-2&_end=12", "11,12", 12);
	expect_slice("_end=abc", "", 12);
	expect_slice("_limit=abc", "", 12);
	expect_slice("_start=3", "1,2,3,4,5,6,7,8,9,10,11,12", -1);   /* _start alone: nothing */
	expect_slice("_end=2&_limit=5", "1,2", 12);                   /* _end wins */
	expect_slice("views_gte=100&_limit=1", "1", 3);               /* the count is after filters */
}

static void expect_page(const char *query, const char *want, const char *want_link)
{
	long long total;
	char *link;
	char *got = list_in("posts", query, &total, &link);
	cr_expect_str_eq(got, want, "?%s", query);
	cr_expect_eq(total, 12, "?%s", query);
	cr_assert_not_null(link, "?%s", query);
	cr_expect_str_eq(link, want_link, "?%s", query);
	free(link);
	free(got);
}

Test(crud_query, pages_with_links_as_json_server_writes_them)
{
	expect_page("_page=2&_limit=5", "6,7,8,9,10",
		    "<" URL "?_page=1&_limit=5>; rel=\"first\", <" URL "?_page=1&_limit=5>; rel=\"prev\", "
		    "<" URL "?_page=3&_limit=5>; rel=\"next\", <" URL "?_page=3&_limit=5>; rel=\"last\"");
	expect_page("_page=1", "1,2,3,4,5,6,7,8,9,10",
		    "<" URL "?_page=1>; rel=\"first\", <" URL "?_page=2>; rel=\"next\", <" URL "?_page=2>; rel=\"last\"");
	expect_page("_limit=5&_page=3", "11,12",
		    "<" URL "?_limit=5&_page=1>; rel=\"first\", <" URL "?_limit=5&_page=2>; rel=\"prev\", <" URL
		    "?_limit=5&_page=3>; rel=\"last\"");
	/* a page past the end, or one holding everything: an empty Link header */
	expect_page("_page=9&_limit=5", "", "");
	expect_page("_page=1&_limit=20", "1,2,3,4,5,6,7,8,9,10,11,12", "");
	/* _page=0 reads as 1, but "page=1" is not in the URL to replace */
	expect_page("_page=0&_limit=6", "1,2,3,4,5,6",
		    "<" URL "?_page=0&_limit=6>; rel=\"first\", <" URL "?_page=0&_limit=6>; rel=\"next\", <" URL
		    "?_page=0&_limit=6>; rel=\"last\"");
	/* only the first "page=N" changes */
	expect_page("_page=2&_limit=6&x=page=2", "7,8,9,10,11,12",
		    "<" URL "?_page=1&_limit=6&x=page=2>; rel=\"first\", <" URL "?_page=1&_limit=6&x=page=2>; "
		    "rel=\"prev\", <" URL "?_page=2&_limit=6&x=page=2>; rel=\"last\"");
	/* _limit=0 is the default 10; a negative one slices from the end, as in json-server */
	expect_page("_page=2&_limit=0", "11,12",
		    "<" URL "?_page=1&_limit=0>; rel=\"first\", <" URL "?_page=1&_limit=0>; rel=\"prev\", <" URL
		    "?_page=2&_limit=0>; rel=\"last\"");
	expect_page("_page=1&_limit=-2", "1,2,3,4,5,6,7,8,9,10",
		    "<" URL "?_page=1&_limit=-2>; rel=\"first\", <" URL "?_page=2&_limit=-2>; rel=\"next\", <" URL
		    "?_page=-6&_limit=-2>; rel=\"last\"");
}

Test(crud_query, no_link_without_page)
{
	long long total;
	char *link = (char *)"unset";
	char *got = list_in("posts", "_limit=2", &total, &link);
	cr_expect_null(link);
	free(got);
}

/* The compact JSON of GET /key?query's items. */
static char *list_json(const char *key, const char *query)
{
	struct kv kv[8];
	char *copy;
	size_t n = split_query(query, kv, 8, &copy);
	struct crud_query *q = crud_query_parse(kv, n, NULL);
	cJSON *db = json_or_fail(data);
	struct crud_page page;
	crud_query_list(q, db, key, "", &page);
	char *text = json_print(page.items, NULL);
	cJSON_Delete(page.items);
	free(page.link);
	cJSON_Delete(db);
	crud_query_destroy(q);
	free(copy);
	return text;
}

Test(crud_query, embed_adds_the_items_pointing_here)
{
	char *got = list_json("posts", "_embed=comments&_limit=2");
	cr_expect(strstr(got, "\"comments\":[{\"id\":1,\"body\":\"one\",\"postId\":1},{\"id\":3,\"body\":\"three\","
			      "\"postId\":1}]}"), "%s", got);
	cr_expect(strstr(got, "\"comments\":[{\"id\":2,\"body\":\"two\",\"postId\":2}]}]"), "%s", got);
	free(got);
	/* ids compare as text: post "5" gets the comment whose postId is "5" */
	got = list_json("posts", "id=5&_embed=comments&_embed=nope");
	cr_expect(strstr(got, "\"comments\":[{\"id\":4,\"body\":\"str\",\"postId\":\"5\"}],\"nope\":[]}"), "%s", got);
	free(got);
	got = list_json("categories", "_embed=items");
	cr_expect_str_eq(got, "[{\"id\":1,\"name\":\"x\",\"items\":[{\"id\":1,\"categoryId\":1},{\"id\":2,"
			      "\"categoryId\":\"1\"}]}]");
	free(got);
}

Test(crud_query, expand_adds_the_item_pointed_at)
{
	char *got = list_json("comments", "_expand=post&id=2&id=4&id=5&id=6");
	cr_expect_str_eq(got, "[{\"id\":2,\"body\":\"two\",\"postId\":2,\"post\":{\"id\":2,\"title\":\"Another\","
			      "\"author\":\"bob\",\"views\":20,\"meta\":{\"tags\":[\"c\"],\"score\":3}}},"
			      "{\"id\":4,\"body\":\"str\",\"postId\":\"5\",\"post\":{\"id\":\"5\",\"title\":\"\","
			      "\"author\":\"carol\",\"views\":0,\"meta\":{\"score\":\"4\"}}},"
			      "{\"id\":5,\"body\":\"lost\",\"postId\":99},{\"id\":6,\"body\":\"none\"}]");
	free(got);
	got = list_json("items", "_expand=category&_expand=unknown");
	cr_expect_str_eq(got, "[{\"id\":1,\"categoryId\":1,\"category\":{\"id\":1,\"name\":\"x\"}},"
			      "{\"id\":2,\"categoryId\":\"1\",\"category\":{\"id\":1,\"name\":\"x\"}}]");
	free(got);
}

Test(crud_query, relate_one_item)
{
	cJSON *db = json_or_fail(data);
	struct kv kv[] = { { "_embed", "comments", 8 }, { "views", "1", 1 } };
	struct crud_query *q = crud_query_parse(kv, 2, NULL);
	const cJSON *post = cJSON_GetArrayItem(cJSON_GetObjectItem(db, "posts"), 5);
	cJSON *got = crud_query_relate(q, db, "posts", post);
	char *text = json_print(got, NULL);
	cr_expect_str_eq(text, "{\"id\":6,\"title\":\"six\",\"author\":\"dan\",\"views\":100,\"comments\":[]}");
	cr_expect_null(cJSON_GetObjectItem(post, "comments"), "the data is not changed");
	free(text);
	cJSON_Delete(got);
	crud_query_destroy(q);
	cJSON_Delete(db);
}

Test(crud_query, an_option_is_given_when_its_value_is_not_empty_even_if_it_starts_with_nul)
{
	/* found by fuzz_crud_query: "\0x" is a non-empty string, so json-server pages */
	struct kv kv[] = { { "_page", "\0x", 2 }, { "_limit", "5", 1 } };
	struct crud_query *q = crud_query_parse(kv, 2, NULL);
	cJSON *db = json_or_fail(data);
	struct crud_page page;
	crud_query_list(q, db, "posts", URL "?_page=1", &page);
	cr_expect_eq(cJSON_GetArraySize(page.items), 5);
	cr_expect_eq(page.total, 12);
	cr_assert_not_null(page.link);
	cr_expect(strstr(page.link, "rel=\"next\""), "%s", page.link);
	free(page.link);
	cJSON_Delete(page.items);
	cJSON_Delete(db);
	crud_query_destroy(q);
}
