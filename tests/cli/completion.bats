#!/usr/bin/env bats
# The bash completion file completes commands, options and targets.
load helper

setup() { common_setup; }
teardown() { common_teardown; }

complete_line() { # words...: prints the completions of the last word
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _uk; echo "${COMPREPLY[*]}"' \
		_ "$UK_TOP/cli/uk.bash-completion" "$@"
}

@test "completes commands" {
	run complete_line uk b
	assert_output "build"
	run complete_line uk help d
	assert_output "devices data doctor"
	run complete_line uk f
	assert_output "flash"
	run complete_line uk build --s
	assert_output "--sign"
	run complete_line uk flash --all
	assert_output "--allow-loop --allow-fixed"
}

@test "completes a command's options and targets" {
	run complete_line uk run --t
	assert_output "--target --timeout"
	run complete_line uk build --target r
	assert_output "rpi3 rpi4"
}

@test "completes the app directory for build" {
	mkdir myapp
	run complete_line uk build my
	assert_output "myapp"
}

# The options each command's --help prints come from its option table (cli/lib/options.c):
# the completion file must offer exactly those, so a new option cannot be left out of it.
@test "each command's completions are its option table's options" {
	local c table offered
	for c in new build run flash devices doctor version; do
		table=$("$UK" "$c" --help | sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p' |
			sort -u | tr '\n' ' ')
		offered=$(complete_line uk "$c" -- | tr ' ' '\n' | sed 's/=.*//' | grep -v '^--help$' |
			sort -u | tr '\n' ' ')
		[ -n "$table" ] || fail "uk $c --help lists no options"
		[ "$table" = "$offered" ] || fail "uk $c: --help lists '$table', completion offers '$offered'"
	done
}
