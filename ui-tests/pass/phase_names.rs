use pallet::prelude::*;

plan_fn! {
    fn f(ctx) {
        let _ = ctx;
    }
}

fn main() {
    // Custom phases, a marked one close to a standard name, and names inherited through extends.
    let base = server_spec! { phases = { custom confgure = f, rollout = f } };
    let g = group_spec! {
        name = "web",
        extends = [base],
        phases = { configure = f },
        default_phases = [configure, rollout],
        phases_meta = { rollout = { serial = 1 } },
    };
    assert_eq!(g.server().effective().default_phases(), ["configure", "rollout"]);
    assert!(g.server().effective().has_phase("confgure"));
}
