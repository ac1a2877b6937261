#pragma once
// Open MPI scale-out: under mpirun (or srun), rank 0 runs the command as usual and hands its
// simulation runs out one at a time to whichever rank asks next (dynamic load balancing);
// every other rank only serves runs. Rank 0 alone writes. Without MPI, or when not launched by
// mpirun, this is a process of one rank and nothing changes.
#include <memory>

namespace cesim::cli {

class cluster {
 public:
  /// Joins the MPI job when cesim was built with MPI and launched by mpirun or srun
  /// (CESIM_MPI=0 opts out, CESIM_MPI=1 forces MPI initialisation).
  cluster(int& argc, char**& argv);
  /// Rank 0: tells the other ranks to stop serving; all ranks leave MPI.
  ~cluster();
  cluster(const cluster&) = delete;
  cluster& operator=(const cluster&) = delete;

  [[nodiscard]] int rank() const { return rank_; }
  [[nodiscard]] int size() const { return size_; }
  /// Rank 0 with more ranks: from now on the runner spreads its jobs over all ranks.
  void distribute_jobs();
  /// Ranks other than 0: run the jobs rank 0 sends until it says stop; returns the exit code.
  int serve();

 private:
  struct coordinator;
  int rank_ = 0;
  int size_ = 1;
  bool initialised_ = false;
  std::unique_ptr<coordinator> coordinator_;
};

/// Whether this binary was built with MPI.
bool built_with_mpi();

}  // namespace cesim::cli
