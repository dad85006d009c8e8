import Foundation

/// Keeps network runners (engine sessions) between `detect` calls so their scratch memory is
/// allocated once; each runner is lent to one worker thread at a time.
final class RunnerPool: @unchecked Sendable {
    private let network: any AnomalyNetwork
    private let lock = NSLock()
    private var idle: [any AnomalyNetworkRunner] = []
    private let maximumIdle: Int

    init(network: any AnomalyNetwork, maximumIdle: Int) {
        self.network = network
        self.maximumIdle = maximumIdle
    }

    func take(_ count: Int) throws -> [any AnomalyNetworkRunner] {
        lock.lock()
        let reused = Array(idle.suffix(count))
        idle.removeLast(reused.count)
        lock.unlock()
        var runners = reused
        do {
            while runners.count < count { runners.append(try network.makeRunner()) }
        } catch {
            give(runners)
            throw DetectionError.networkFailed("could not make a runner: \(error)")
        }
        return runners
    }

    func give(_ runners: [any AnomalyNetworkRunner]) {
        lock.lock()
        idle.append(contentsOf: runners.prefix(max(0, maximumIdle - idle.count)))
        lock.unlock()
    }
}
