#[actor(kind = "session", gateway(
    forward(coordinator = Coordinator, worker = Worker),
    reply_to("client:coordinator-proxy" = [RegisterWorker, GetStatus],
             "client:worker-proxy" = [GetState], default = "client:ui"),
))]
pub struct Session;
