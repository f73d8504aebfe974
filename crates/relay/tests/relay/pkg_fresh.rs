//! `pkg/` (the built phone module, committed) must be built from the sources as they are:
//! `scripts/build-pkg.sh` records the hash of its inputs in `pkg/SOURCE_HASH`, and this test
//! recomputes it with the same script.

use std::process::Command;

#[test]
fn pkg_is_built_from_the_current_sources() {
    let root = crate::relay_common::repo_root();
    let output = Command::new("bash")
        .args(["scripts/build-pkg.sh", "--hash"])
        .current_dir(&root)
        .output()
        .expect("bash runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let current = String::from_utf8(output.stdout).unwrap();
    let built = std::fs::read_to_string(root.join("pkg/SOURCE_HASH"))
        .expect("pkg/SOURCE_HASH exists: run ./scripts/build-pkg.sh");
    assert_eq!(
        built.trim(),
        current.trim(),
        "pkg/ is older than the sources: run ./scripts/build-pkg.sh and commit pkg/"
    );
}

#[test]
fn pkg_holds_the_module_its_glue_and_types() {
    let root = crate::relay_common::repo_root();
    for file in [
        "zj_attendance.js",
        "zj_attendance_bg.wasm",
        "zj_attendance.d.ts",
    ] {
        let path = root.join("pkg").join(file);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(
            size > 0,
            "{} is missing or empty: run ./scripts/build-pkg.sh",
            path.display()
        );
    }
    let types = std::fs::read_to_string(root.join("pkg/zj_attendance.d.ts")).unwrap();
    for name in [
        "class PhoneModule",
        "clockIn",
        "checkFence",
        "wgs84ToGcj02",
        "exportFailed",
    ] {
        assert!(
            types.contains(name),
            "pkg/zj_attendance.d.ts declares {name}"
        );
    }
}
