import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request (head to end of body) takes longer than `deadline` to
/// arrive.
///
/// Hummingbird's idle timeout closes a connection that sends nothing for a while, which stops a
/// client that sends a request head byte by byte (no part is decoded until the head is complete);
/// a client that drips a large body a few bytes at a time stays "active" and would hold its
/// socket and buffers for as long as it likes. This handler bounds the whole request instead.
final class SlowRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    let deadline: TimeAmount
    private var scheduled: Scheduled<Void>?

    init(deadline: TimeAmount) {
        self.deadline = deadline
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            scheduled?.cancel()
            let channel = context.channel
            scheduled = context.eventLoop.scheduleTask(in: deadline) {
                channel.close(promise: nil)
            }
        case .end:
            scheduled?.cancel()
            scheduled = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        scheduled?.cancel()
        scheduled = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        scheduled?.cancel()
        scheduled = nil
    }
}
