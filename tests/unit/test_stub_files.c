/* SPDX-License-Identifier: MIT */
/* stub_files: which names are stub files, the walk's order and what it skips, and
 * whole-file reads. Each test runs in its own process and temporary directory. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stub_files.h"
#include "testutil.h"

static void setup(void)
{
	tmpdir_enter("stub-files");
}

static void teardown(void)
{
	tmpdir_leave();
}

TestSuite(stub_files, .init = setup, .fini = teardown);

Test(stub_files, yaml_names)
{
	cr_expect(stub_file_is_yaml("a.yaml"));
	cr_expect(stub_file_is_yaml("a.yml"));
	cr_expect(stub_file_is_yaml("dir/x.y.yaml"));
	cr_expect_not(stub_file_is_yaml(".yaml"));
	cr_expect_not(stub_file_is_yaml(".yml"));
	cr_expect_not(stub_file_is_yaml("a.YAML"));
	cr_expect_not(stub_file_is_yaml("a.json"));
	cr_expect_not(stub_file_is_yaml("a.yaml~"));
	cr_expect_not(stub_file_is_yaml(""));
}

Test(stub_files, walk_lists_stub_files_in_byte_order)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct stub_file *files;
	cr_assert_eq(mkdir("s", 0755), 0);
	cr_assert_eq(mkdir("s/b", 0755), 0);
	cr_assert_eq(mkdir("s/.hidden", 0755), 0);
	put("s/b/z.yml", "");
	put("s/a.yaml", "");
	put("s/B.yaml", "");
	put("s/.dot.yaml", "");
	put("s/.hidden/x.yaml", "");
	put("s/notes.txt", "");
	cr_assert_eq(symlink("a.yaml", "s/link.yaml"), 0);
	cr_assert_eq(symlink("b", "s/dirlink"), 0);
	size_t n = stub_load_list("s", &files, &diags);
	cr_assert_eq(n, 4);
	cr_expect_str_eq(files[0].rel, "B.yaml");
	cr_expect_str_eq(files[1].rel, "a.yaml");
	cr_expect_str_eq(files[2].rel, "b/z.yml");
	cr_expect_str_eq(files[3].rel, "link.yaml");
	cr_expect(S_ISREG(files[3].st.st_mode));
	cr_expect_eq(diags.n, 0);
	stub_files_release(files, n);
	diag_list_release(&diags);
}

Test(stub_files, walk_reports_dangling_links_and_missing_dirs)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct stub_file *files;
	cr_assert_eq(mkdir("s", 0755), 0);
	cr_assert_eq(symlink("gone.yaml", "s/dead.yaml"), 0);
	size_t n = stub_load_list("s", &files, &diags);
	cr_expect_eq(n, 0);
	cr_assert_eq(diags.n, 1);
	cr_expect_str_eq(diags.items[0].file, "s/dead.yaml");
	cr_expect(strncmp(diags.items[0].msg, "cannot read file: ", 18) == 0, "%s", diags.items[0].msg);
	stub_files_release(files, n);
	n = stub_load_list("nope", &files, &diags);
	cr_expect_eq(n, 0);
	cr_assert_eq(diags.n, 2);
	cr_expect_str_eq(diags.items[1].file, "nope");
	stub_files_release(files, n);
	diag_list_release(&diags);
}

Test(stub_files, path_join)
{
	char *p = stub_path_join("a", "b");
	cr_expect_str_eq(p, "a/b");
	free(p);
	p = stub_path_join("/", "b");
	cr_expect_str_eq(p, "/b");
	free(p);
	p = stub_path_join("a/", "b/c");
	cr_expect_str_eq(p, "a/b/c");
	free(p);
}

Test(stub_files, read_whole_files)
{
	char *buf;
	size_t len;
	put("f", "hello\n");
	cr_assert_eq(stub_file_read("f", &buf, &len), 0);
	cr_expect_eq(len, 6);
	cr_expect_str_eq(buf, "hello\n");
	free(buf);
	put("empty", "");
	cr_assert_eq(stub_file_read("empty", &buf, &len), 0);
	cr_expect_eq(len, 0);
	cr_expect_str_eq(buf, "");
	free(buf);
	cr_expect_eq(stub_file_read("missing", &buf, &len), -ENOENT);
}

/* the test that keeps a reload from serving a file rewritten in place half way */
Test(stub_files, being_written_while_a_writer_has_the_file_open)
{
	put("f.yaml", "a: 1\n");
	cr_expect(!stub_file_being_written("f.yaml"), "nobody has it open");
	int fd = open("f.yaml", O_WRONLY | O_TRUNC);
	cr_assert(fd >= 0);
	cr_expect(stub_file_being_written("f.yaml"), "open for writing (and truncated)");
	int rd = open("f.yaml", O_RDONLY);
	cr_expect(stub_file_being_written("f.yaml"), "a reader beside the writer changes nothing");
	close(fd);
	cr_expect(!stub_file_being_written("f.yaml"), "the writer closed it; a reader is no writer");
	close(rd);
	cr_expect(!stub_file_being_written("missing.yaml"), "a file that is not there is not being written");
}
