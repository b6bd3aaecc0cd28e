# A tiny project for the action's self-test on real runners: a build-only tool and a top-level
# package whose variant changes. Uses the runner's /bin/sh, so it needs no nixpkgs.
{ variant ? "one" }:
let
  sys = builtins.currentSystem;
  tool = derivation { name = "self-test-tool"; system = sys; builder = "/bin/sh"; args = [ "-c" "echo tool > $out" ]; };
  lib = derivation { name = "self-test-lib"; system = sys; builder = "/bin/sh"; args = [ "-c" "echo lib > $out" ]; };
in {
  inherit tool lib;
  top = derivation {
    name = "self-test-top";
    system = sys;
    builder = "/bin/sh";
    args = [ "-c" "read t < ${tool}; echo ${variant} ${lib} > $out" ];
  };
}
