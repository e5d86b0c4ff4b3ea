namespace RtrCache.Fetch.Rrdp;

/// <summary>
/// An RRDP file (notification, snapshot or delta) or one of its elements is not acceptable. The whole file is
/// rejected: RRDP has no partial success, a repository is either brought to a complete new state or left as it was.
/// The message names the offending URI or attribute so the run report can say why.
/// </summary>
public sealed class RrdpException(string message, Exception? inner = null) : Exception(message, inner);
