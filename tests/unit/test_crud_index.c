/* SPDX-License-Identifier: MIT */
/* crud_index: a collection's items by the text of their ids (the first of equal ids), and
 * the kinds of ids counted, through adds, removals and replacements. */
#include <criterion/criterion.h>

#include "crud_index.h"
#include "testutil.h"

Test(crud_index, finds_items_by_id_text)
{
	cJSON *coll = json_or_fail("[{\"id\":1},{\"id\":\"a\"},{\"id\":null},{\"x\":1},{\"id\":1.5},{\"id\":-0}]");
	struct crud_index ix;
	crud_index_init(&ix, coll);
	cr_expect_eq(crud_index_find(&ix, "1"), cJSON_GetArrayItem(coll, 0));
	cr_expect_eq(crud_index_find(&ix, "a"), cJSON_GetArrayItem(coll, 1));
	cr_expect_eq(crud_index_find(&ix, "1.5"), cJSON_GetArrayItem(coll, 4));
	cr_expect_eq(crud_index_find(&ix, "0"), cJSON_GetArrayItem(coll, 5));
	cr_expect_null(crud_index_find(&ix, "null"));
	cr_expect_null(crud_index_find(&ix, "01"));
	cr_expect_eq(ix.nint, 2);
	cr_expect_eq(ix.nother, 2);
	cr_expect_not(crud_index_only_integers(&ix));
	crud_index_release(&ix);
	cJSON_Delete(coll);
}

Test(crud_index, an_equal_id_takes_over_when_the_first_goes)
{
	cJSON *coll = json_or_fail("[{\"id\":1,\"n\":0},{\"id\":\"1\",\"n\":1},{\"id\":2}]");
	struct crud_index ix;
	crud_index_init(&ix, coll);
	cJSON *first = cJSON_GetArrayItem(coll, 0), *second = cJSON_GetArrayItem(coll, 1);
	cr_expect_eq(crud_index_find(&ix, "1"), first);
	cJSON_DetachItemViaPointer(coll, first);
	crud_index_remove(&ix, coll, first);
	cr_expect_eq(crud_index_find(&ix, "1"), second);
	cJSON_Delete(first);
	cJSON *put = json_or_fail("{\"id\":\"1\",\"n\":2}");
	crud_index_replace(&ix, second, put);
	cJSON_ReplaceItemViaPointer(coll, second, put);
	cr_expect_eq(crud_index_find(&ix, "1"), put);
	cJSON_DetachItemViaPointer(coll, put);
	crud_index_remove(&ix, coll, put);
	cJSON_Delete(put);
	cr_expect_null(crud_index_find(&ix, "1"));
	cr_expect(crud_index_only_integers(&ix));
	cJSON *added = json_or_fail("{\"id\":3}");
	cJSON_AddItemToArray(coll, added);
	crud_index_add(&ix, added);
	cr_expect_eq(crud_index_find(&ix, "3"), added);
	cr_expect_eq(ix.nint, 2);
	crud_index_release(&ix);
	cJSON_Delete(coll);
}
