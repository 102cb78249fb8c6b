use pallet::prelude::*;

plan_fn! {
    fn f(ctx) {
        let _ = ctx;
    }
}

fn main() {
    // A key close to a standard phase is a typo unless marked custom.
    let _ = group_spec! { name = "web", phases = { confgure = f } };
    let _ = group_spec! { name = "web", phases = { custom confgure = f } };
    // Names in default_phases and phases_meta must be defined.
    let _ = server_spec! { phases = { configure = f }, default_phases = [configur] };
    let _ = server_spec! { phases = { deploy_app = f }, default_phases = [deploy_ap], phases_meta = { rollout = { serial = 1 } } };
    // `custom` marks phases only.
    let _ = server_spec! { custom roles = ["a"] };
}
