#[message]
pub struct RegisterWorker {
    pub worker_id: Option<String>,
}

#[payload]
pub struct Registered {
    pub status: String,
    pub worker_id: String,
}

#[actor]
#[derive(Default)]
pub struct Coordinator {
    workers: Vec<String>,
    #[persist(entries)]
    queue: PQueue<String>,
    #[persist(skip)]
    scratch: u32,
}

#[route]
impl Coordinator {
    async fn register_worker(&mut self, ctx: &mut Ctx, msg: RegisterWorker) -> Result<Registered, Error> {
        let worker_id = msg.worker_id.unwrap_or_else(|| ctx.sender().id().to_owned());
        if self.workers.contains(&worker_id) {
            return Err(Error::handler("duplicate", "already registered"));
        }
        self.workers.push(worker_id.clone());
        Ok(Registered { status: "registered".into(), worker_id })
    }

    async fn get_status(&mut self, _ctx: &mut Ctx, _msg: GetStatus) -> Status {
        Status { workers: self.workers.clone() }
    }
}
