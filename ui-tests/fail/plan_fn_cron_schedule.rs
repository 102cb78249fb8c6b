use pallet::prelude::*;

plan_fn! {
    fn schedules(ctx) {
        cron("four", "* * * *", "root", "true");
        cron("minute", "61 * * * *", "root", "true");
        cron("name.d", "@daily", "root", "true");
    }
}

fn main() {}
