//! Build of skr: the static and shared library, the `skr` command, the
//! Criterion test suite, the demo and the install layout. Sources are found
//! by listing the source folders, so adding a file needs no change here.
//!
//!   zig build          library, command line, header and pkg-config file
//!   zig build test     the whole test suite
//!   zig build demo     compile and decide the bundled examples
const std = @import("std");
const builtin = @import("builtin");

/// The pinned toolchain. `./zigw` installs exactly this version.
const zig_version = "0.15.2";
const skr_version: std.SemanticVersion = .{ .major = 0, .minor = 1, .patch = 0 };

comptime {
    const pinned = std.SemanticVersion.parse(zig_version) catch unreachable;
    if (builtin.zig_version.major != pinned.major or builtin.zig_version.minor != pinned.minor)
        @compileError("skr builds with Zig " ++ zig_version ++ "; run ./zigw, which installs it");
}

/// Our own C code is held to strict warnings; generated scanners and
/// parsers get relaxed ones (see generated_flags).
const strict_flags = [_][]const u8{
    "-std=c11",
    "-D_POSIX_C_SOURCE=200809L",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
    "-Wshadow",
    "-Wstrict-prototypes",
};
const generated_flags = [_][]const u8{
    "-std=c11",
    "-D_POSIX_C_SOURCE=200809L",
    "-Wno-unused-function",
    "-Wno-unused-parameter",
    "-Wno-sign-compare",
    "-Wno-unused-but-set-variable",
};
const library_dirs = [_][]const u8{ "runtime", "vm", "compiler", "grammar" };
const system_libraries = [_][]const u8{ "jansson", "libxxhash", "bearssl" };

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});

    const generated = generateGrammars(b);

    const static_lib = b.addLibrary(.{
        .name = "skr",
        .linkage = .static,
        .root_module = libraryModule(b, target, optimize, generated, false),
    });
    const shared_lib = b.addLibrary(.{
        .name = "skr",
        .linkage = .dynamic,
        .version = skr_version,
        .root_module = libraryModule(b, target, optimize, generated, true),
    });
    b.installArtifact(static_lib);
    b.installArtifact(shared_lib);
    b.installFile("include/skr.h", "include/skr.h");
    installPkgConfig(b);

    const cli_mod = b.createModule(.{ .target = target, .optimize = optimize, .link_libc = true });
    addIncludes(b, cli_mod, generated);
    cli_mod.addCSourceFiles(.{ .files = listSources(b, "cli", null), .flags = &strict_flags });
    cli_mod.linkLibrary(static_lib);
    linkSystem(cli_mod);
    const cli = b.addExecutable(.{ .name = "skr", .root_module = cli_mod });
    b.installArtifact(cli);
    addBench(b, cli_mod, cli);

    // Criterion registers tests in the cr_tst section, which nothing
    // references; with section garbage collection on, the linker drops it
    // and the runner reports "Tested: 0".
    const test_mod = b.createModule(.{ .target = target, .optimize = optimize, .link_libc = true });
    addIncludes(b, test_mod, generated);
    test_mod.addIncludePath(b.path("tests"));
    test_mod.addCSourceFiles(.{ .files = listSources(b, "tests", null), .flags = &strict_flags });
    test_mod.linkLibrary(static_lib);
    test_mod.linkSystemLibrary("criterion", .{});
    test_mod.linkSystemLibrary("pthread", .{});
    linkSystem(test_mod);
    const tests = b.addExecutable(.{ .name = "skr-tests", .root_module = test_mod });
    tests.link_gc_sections = false;

    const run_unit = b.addRunArtifact(tests);
    run_unit.setCwd(b.path("."));
    run_unit.addArgs(&.{ "--jobs", "2", "--short-filename" });
    // Runner options after `--`, such as --filter or --verbose.
    if (b.args) |args| run_unit.addArgs(args);
    run_unit.has_side_effects = true;

    const run_cli = b.addSystemCommand(&.{ "bash", "tests/cli/run.sh" });
    run_cli.setCwd(b.path("."));
    run_cli.addArtifactArg(cli);
    run_cli.has_side_effects = true;
    run_cli.step.dependOn(&run_unit.step);

    const test_step = b.step("test", "Run the whole test suite");
    test_step.dependOn(&run_cli.step);

    const quick_mod = b.createModule(.{ .target = target, .optimize = optimize, .link_libc = true });
    addIncludes(b, quick_mod, generated);
    quick_mod.addCSourceFiles(.{ .files = &.{"bench/tools/eval_quick.c"}, .flags = &strict_flags });
    quick_mod.linkLibrary(static_lib);
    linkSystem(quick_mod);
    const quick = b.addExecutable(.{ .name = "skr-eval-quick", .root_module = quick_mod });
    const quick_step = b.step("eval-quick", "Build skr-eval-quick, the evaluate-only timer");
    quick_step.dependOn(&b.addInstallArtifact(quick, .{}).step);

    const demo = b.addSystemCommand(&.{ "bash", "examples/demo.sh" });
    demo.setCwd(b.path("."));
    demo.addArtifactArg(cli);
    demo.has_side_effects = true;
    const demo_step = b.step("demo", "Compile the example policies and decide them on example claims");
    demo_step.dependOn(&demo.step);
}

/// `skr bench`: the harness in bench/*.c is part of the skr command (its
/// subcommand is cli/cmd_bench.c). With -Dpeers=true the C peers in
/// bench/peers/*.c (a hand-written evaluator, libjwt, and the OpenSSL floor)
/// are compiled in as well and skr links OpenSSL and libjwt; without it, skr
/// needs neither. bench/tools/ is not part of skr. Steps:
///   zig build bench         run skr bench on the shipped examples
///   zig build bench-smoke   the output-shape test of skr bench
fn addBench(b: *std.Build, cli_mod: *std.Build.Module, cli: *std.Build.Step.Compile) void {
    const peers = b.option(bool, "peers", "Compile the benchmark peers (OpenSSL floor, libjwt, hand-written C) into skr; needs libssl-dev and libjwt-dev") orelse false;
    const peer_flags = strict_flags ++ [_][]const u8{"-DSKR_BENCH_PEERS=1"};
    const flags: []const []const u8 = if (peers) &peer_flags else &strict_flags;

    cli_mod.addIncludePath(b.path("bench"));
    cli_mod.addCSourceFiles(.{ .files = listSources(b, "bench", null), .flags = flags });
    cli_mod.linkSystemLibrary("pthread", .{});
    if (peers) {
        cli_mod.addCSourceFiles(.{ .files = listSources(b, "bench/peers", null), .flags = flags });
        for ([_][]const u8{ "libjwt", "libssl", "libcrypto" }) |name| cli_mod.linkSystemLibrary(name, .{});
    }

    const run = b.addSystemCommand(&.{ "bash", "bench/run-examples.sh" });
    run.setCwd(b.path("."));
    run.addArtifactArg(cli);
    if (b.args) |args| run.addArgs(args);
    run.has_side_effects = true;
    const bench_step = b.step("bench", "Run skr bench on the example policies (pass options after --, e.g. -- --quick)");
    bench_step.dependOn(&run.step);

    const smoke = b.addSystemCommand(&.{ "bash", "tests/cli/bench-smoke.sh" });
    smoke.setCwd(b.path("."));
    smoke.addArtifactArg(cli);
    smoke.has_side_effects = true;
    const smoke_step = b.step("bench-smoke", "Check the output shape of skr bench (tables, JSON, CSV, SVG)");
    smoke_step.dependOn(&smoke.step);
}

const Generated = struct {
    sources: []const std.Build.LazyPath,
    include_dirs: []const std.Build.LazyPath,
};

/// Runs flex on grammar/*.l and bison on grammar/*.y. Each NAME.l gives
/// NAME.c and NAME.h; each NAME.y gives NAME.c and NAME.h.
fn generateGrammars(b: *std.Build) Generated {
    var sources: std.ArrayList(std.Build.LazyPath) = .empty;
    var includes: std.ArrayList(std.Build.LazyPath) = .empty;
    for (listSources(b, "grammar", ".y")) |path| {
        const stem = std.fs.path.stem(path);
        const bison = b.addSystemCommand(&.{ "bison", "-Wall", "-Werror" });
        const c_file = bison.addPrefixedOutputFileArg("--output=", b.fmt("{s}.c", .{stem}));
        const h_file = bison.addPrefixedOutputFileArg("--header=", b.fmt("{s}.h", .{stem}));
        bison.addFileArg(b.path(path));
        sources.append(b.allocator, c_file) catch @panic("out of memory");
        includes.append(b.allocator, h_file.dirname()) catch @panic("out of memory");
    }
    for (listSources(b, "grammar", ".l")) |path| {
        const stem = std.fs.path.stem(path);
        const flex = b.addSystemCommand(&.{"flex"});
        const c_file = flex.addPrefixedOutputFileArg("--outfile=", b.fmt("{s}.c", .{stem}));
        const h_file = flex.addPrefixedOutputFileArg("--header-file=", b.fmt("{s}.h", .{stem}));
        flex.addFileArg(b.path(path));
        sources.append(b.allocator, c_file) catch @panic("out of memory");
        includes.append(b.allocator, h_file.dirname()) catch @panic("out of memory");
    }
    return .{
        .sources = sources.toOwnedSlice(b.allocator) catch @panic("out of memory"),
        .include_dirs = includes.toOwnedSlice(b.allocator) catch @panic("out of memory"),
    };
}

fn libraryModule(
    b: *std.Build,
    target: std.Build.ResolvedTarget,
    optimize: std.builtin.OptimizeMode,
    generated: Generated,
    pic: bool,
) *std.Build.Module {
    // In the safe modes undefined behaviour traps instead of calling a
    // sanitizer runtime, so the installed libraries link into programs built
    // with any compiler; the fast modes check nothing, as usual.
    const mod = b.createModule(.{
        .target = target,
        .optimize = optimize,
        .link_libc = true,
        .pic = if (pic) true else null,
        .sanitize_c = switch (optimize) {
            .Debug, .ReleaseSafe => .trap,
            .ReleaseFast, .ReleaseSmall => .off,
        },
    });
    addIncludes(b, mod, generated);
    for (library_dirs) |dir| {
        mod.addCSourceFiles(.{ .files = listSources(b, dir, null), .flags = &strict_flags });
    }
    for (generated.sources) |source| {
        mod.addCSourceFile(.{ .file = source, .flags = &generated_flags });
    }
    // A static archive must not carry the system libraries (the linker
    // would copy the .so files into it); its users link them instead.
    if (pic) linkSystem(mod);
    return mod;
}

fn addIncludes(b: *std.Build, mod: *std.Build.Module, generated: Generated) void {
    mod.addIncludePath(b.path("include"));
    for (library_dirs) |dir| mod.addIncludePath(b.path(dir));
    mod.addIncludePath(b.path("cli"));
    for (generated.include_dirs) |dir| mod.addIncludePath(dir);
}

fn linkSystem(mod: *std.Build.Module) void {
    for (system_libraries) |name| mod.linkSystemLibrary(name, .{});
    mod.linkSystemLibrary("m", .{});
}

/// Lists DIR/*.c (or DIR/*EXT), sorted, so the build does not depend on
/// directory order.
fn listSources(b: *std.Build, dir_path: []const u8, ext: ?[]const u8) []const []const u8 {
    const suffix = ext orelse ".c";
    var list: std.ArrayList([]const u8) = .empty;
    var dir = b.build_root.handle.openDir(dir_path, .{ .iterate = true }) catch |err| {
        std.debug.panic("cannot open source folder {s}: {s}", .{ dir_path, @errorName(err) });
    };
    defer dir.close();
    var it = dir.iterate();
    while (it.next() catch @panic("cannot list a source folder")) |entry| {
        if (entry.kind != .file or !std.mem.endsWith(u8, entry.name, suffix)) continue;
        const path = b.fmt("{s}/{s}", .{ dir_path, entry.name });
        list.append(b.allocator, path) catch @panic("out of memory");
    }
    std.mem.sort([]const u8, list.items, {}, lessThan);
    return list.items;
}

fn lessThan(_: void, a: []const u8, b: []const u8) bool {
    return std.mem.lessThan(u8, a, b);
}

fn installPkgConfig(b: *std.Build) void {
    const pc = b.fmt(
        \\prefix={s}
        \\libdir=${{prefix}}/lib
        \\includedir=${{prefix}}/include
        \\
        \\Name: skr
        \\Description: Secure key release decisions: policy compiler, verifier and interpreter
        \\Version: {d}.{d}.{d}
        \\Requires.private: jansson libxxhash
        \\Libs: -L${{libdir}} -lskr
        \\Libs.private: -lbearssl -lm
        \\Cflags: -I${{includedir}}
        \\
    , .{ b.install_prefix, skr_version.major, skr_version.minor, skr_version.patch });
    const files = b.addWriteFiles();
    const pc_file = files.add("skr.pc", pc);
    b.getInstallStep().dependOn(&b.addInstallFileWithDir(pc_file, .lib, "pkgconfig/skr.pc").step);
}
