#include "cluster.hpp"

#include <cstdlib>
#include <string_view>

#ifdef CESIM_WITH_MPI
#include <fmt/format.h>
#include <mpi.h>
#include <tbb/parallel_pipeline.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cesim/analysis/runner.hpp"
#include "cesim/analysis/wire.hpp"
#include "cesim/error.hpp"
#include "cesim/sim/memory.hpp"
#endif

namespace cesim::cli {

namespace {

/// Launched by mpirun or srun: their environment, or CESIM_MPI=1.
bool launched_by_mpi() {
  const char* forced = std::getenv("CESIM_MPI");
  if (forced != nullptr) return std::string_view(forced) == "1";
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

}  // namespace

#ifndef CESIM_WITH_MPI

bool built_with_mpi() {
  return false;
}

struct cluster::coordinator {};

cluster::cluster(int&, char**&) {
  (void)launched_by_mpi;
}
cluster::~cluster() = default;
void cluster::distribute_jobs() {}
int cluster::serve() {
  return 0;
}

#else

bool built_with_mpi() {
  return true;
}

namespace {

enum tag : int {
  tag_request = 1,   // worker -> 0: ready for a job
  tag_job = 2,       // 0 -> worker: a job to run
  tag_result = 3,    // worker -> 0: a finished job (and ready for the next)
  tag_error = 4,     // worker -> 0: a job failed (and ready for the next)
  tag_shutdown = 5,  // 0 -> worker: no more jobs, leave
};

/// Polling with short naps: a blocking MPI wait spins and would take a core from the runs.
void nap() {
  std::this_thread::sleep_for(std::chrono::microseconds(200));
}

void send(const std::string& bytes, int destination, int message_tag) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX))
    throw std::runtime_error("MPI message over 2 GB");
  MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, destination, message_tag,
           MPI_COMM_WORLD);
}

/// Receives the message that `status` announced.
std::string receive(const MPI_Status& probed) {
  int count = 0;
  MPI_Get_count(&probed, MPI_BYTE, &count);
  std::string bytes(static_cast<std::size_t>(count), '\0');
  MPI_Recv(bytes.data(), count, MPI_BYTE, probed.MPI_SOURCE, probed.MPI_TAG, MPI_COMM_WORLD,
           MPI_STATUS_IGNORE);
  return bytes;
}

/// A job id in front of a payload.
std::string with_job(std::uint64_t job, std::string_view payload) {
  std::string bytes(sizeof job, '\0');
  std::memcpy(bytes.data(), &job, sizeof job);
  bytes.append(payload);
  return bytes;
}

std::pair<std::uint64_t, std::string_view> split_job(std::string_view bytes) {
  std::uint64_t job = 0;
  if (bytes.size() < sizeof job) throw std::runtime_error("MPI message without a job id");
  std::memcpy(&job, bytes.data(), sizeof job);
  return {job, bytes.substr(sizeof job)};
}

std::string encode_job(const analysis::job_description& d) {
  std::string bytes;
  bytes.push_back(d.check_invariants ? 1 : 0);
  const std::uint32_t replication = d.replication;
  bytes.append(reinterpret_cast<const char*>(&replication), sizeof replication);
  bytes.append(analysis::encode(d.recipe));
  return bytes;
}

analysis::job_description decode_job(std::string_view bytes) {
  analysis::job_description d;
  if (bytes.size() < 5) throw std::runtime_error("truncated MPI job message");
  d.check_invariants = bytes[0] != 0;
  std::memcpy(&d.replication, bytes.data() + 1, sizeof d.replication);
  d.recipe = analysis::decode_recipe(bytes.substr(5));
  return d;
}

}  // namespace

/// Rank 0's side: a thread that talks to the workers while the main thread runs jobs too.
struct cluster::coordinator final : analysis::job_executor {
  explicit coordinator(int ranks) : ranks_(ranks), thread_([this] { loop(); }) {}
  ~coordinator() override {
    {
      const std::lock_guard guard(mutex_);
      shutdown_ = true;
    }
    thread_.join();
  }
  coordinator(const coordinator&) = delete;
  coordinator& operator=(const coordinator&) = delete;

  void execute(const analysis::job_batch& batch) override {
    {
      const std::lock_guard guard(mutex_);
      batch_ = &batch;
      next_job_ = 0;
      next_done_ = 0;
      in_flight_ = 0;
      stopped_ = false;
      error_ = nullptr;
      finished_.clear();
    }
    // This rank runs jobs as a single process would, taking them from the same queue.
    tbb::parallel_pipeline(
        std::max<std::uint32_t>(1, batch.concurrent),
        tbb::make_filter<void, std::size_t>(tbb::filter_mode::serial_in_order,
                                            [&](tbb::flow_control& fc) -> std::size_t {
                                              const auto job = take_job();
                                              if (!job) fc.stop();
                                              return job.value_or(0);
                                            }) &
            tbb::make_filter<std::size_t, void>(tbb::filter_mode::parallel, [&](std::size_t job) {
              try {
                finish(job, batch.run(job));
              } catch (...) {
                fail(job, std::current_exception());
              }
            }));
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return in_flight_ == 0; });
    batch_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::optional<std::size_t> take_job() {
    const std::lock_guard guard(mutex_);
    if (batch_ == nullptr || stopped_ || next_job_ >= batch_->jobs) return std::nullopt;
    if (batch_->may_start && !batch_->may_start(next_job_)) {
      stopped_ = true;
      return std::nullopt;
    }
    ++in_flight_;
    return next_job_++;
  }

  /// Delivers finished jobs to `done` in job order.
  void finish(std::size_t job, run_result&& result) {
    const std::lock_guard guard(mutex_);
    finished_.emplace(job, std::move(result));
    while (!finished_.empty() && finished_.begin()->first == next_done_) {
      auto node = finished_.extract(finished_.begin());
      ++next_done_;
      if (error_) continue;
      try {
        batch_->done(node.key(), std::move(node.mapped()));
      } catch (...) {
        error_ = std::current_exception();
        stopped_ = true;
      }
    }
    --in_flight_;
    changed_.notify_all();
  }

  void fail(std::size_t, std::exception_ptr error) {
    const std::lock_guard guard(mutex_);
    if (!error_) error_ = std::move(error);
    stopped_ = true;
    --in_flight_;
    changed_.notify_all();
  }

  /// Hands a job to a waiting worker if there is one to hand out.
  bool dispatch(int worker) {
    std::string message;
    {
      const auto job = take_job();
      if (!job) return false;
      const std::lock_guard guard(mutex_);
      message = with_job(*job, encode_job(batch_->describe(*job)));
    }
    send(message, worker, tag_job);
    return true;
  }

  void loop() {
    std::deque<int> waiting;  // workers ready for a job, in the order they asked
    int left = ranks_ - 1;
    while (left > 0) {
      bool busy = false;
      int flag = 0;
      MPI_Status status;
      MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
      if (flag != 0) {
        busy = true;
        const std::string bytes = receive(status);
        const int worker = status.MPI_SOURCE;
        if (status.MPI_TAG == tag_result) {
          const auto [job, payload] = split_job(bytes);
          run_result result;
          try {
            result = analysis::decode_run_result(payload);
          } catch (...) {
            fail(job, std::current_exception());
            waiting.push_back(worker);
            continue;
          }
          if (batch_->ran_elsewhere) batch_->ran_elsewhere(job);
          finish(job, std::move(result));
        } else if (status.MPI_TAG == tag_error) {
          // The first byte says whether the job's input was at fault (a file missing on that
          // node, say): that is reported like any invalid input, not as an internal error.
          const auto [job, payload] = split_job(bytes);
          const bool input = !payload.empty() && payload.front() == 'i';
          const std::string where = fmt::format("rank {}, job {}", worker, job);
          const std::string what(payload.empty() ? payload : payload.substr(1));
          fail(job, input
                        ? std::make_exception_ptr(input_error(source_mark::named(where), "", what))
                        : std::make_exception_ptr(
                              std::runtime_error(fmt::format("{}: {}", where, what))));
        }
        waiting.push_back(worker);
      }
      while (!waiting.empty() && dispatch(waiting.front())) {
        waiting.pop_front();
        busy = true;
      }
      bool leaving = false;
      {
        const std::lock_guard guard(mutex_);
        leaving = shutdown_ && batch_ == nullptr;
      }
      if (leaving) {
        // Every worker asks once more after its last job; answer each with the stop.
        while (!waiting.empty()) {
          send({}, waiting.front(), tag_shutdown);
          waiting.pop_front();
          --left;
        }
      }
      if (!busy) nap();
    }
  }

  const int ranks_;
  std::mutex mutex_;
  std::condition_variable changed_;
  const analysis::job_batch* batch_ = nullptr;
  std::size_t next_job_ = 0;
  std::size_t next_done_ = 0;
  std::size_t in_flight_ = 0;
  bool stopped_ = false;
  bool shutdown_ = false;
  std::exception_ptr error_;
  std::map<std::size_t, run_result> finished_;  // reorder buffer
  std::thread thread_;
};

cluster::cluster(int& argc, char**& argv) {
  if (!launched_by_mpi()) return;
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  initialised_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  // Ranks on one node each see its whole memory as available: what they keep between jobs
  // comes out of an equal share.
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
  int on_node = 1;
  MPI_Comm_size(node, &on_node);
  MPI_Comm_free(&node);
  set_processes_per_machine(static_cast<std::uint32_t>(std::max(1, on_node)));
  // Rank 0 talks MPI from its coordinator thread, not the thread that initialised MPI.
  if (size_ > 1 && provided < MPI_THREAD_SERIALIZED) {
    if (rank_ == 0)
      fmt::print(stderr,
                 "error: this MPI library offers no MPI_THREAD_SERIALIZED support; run without "
                 "mpirun or use an MPI built with thread support\n");
    MPI_Abort(MPI_COMM_WORLD, 5);
  }
}

cluster::~cluster() {
  if (!initialised_) return;
  if (rank_ == 0) {
    analysis::set_current_executor(nullptr);
    if (!coordinator_ && size_ > 1) coordinator_ = std::make_unique<coordinator>(size_);
    coordinator_.reset();  // sends every worker the stop
  }
  MPI_Finalize();
}

void cluster::distribute_jobs() {
  if (rank_ != 0 || size_ < 2 || coordinator_) return;
  coordinator_ = std::make_unique<coordinator>(size_);
  analysis::set_current_executor(coordinator_.get());
}

int cluster::serve() {
  // One job at a time, with every thread of this rank inside it; for small scenarios, start
  // one rank per core with --threads 1 instead.
  analysis::worker_cache cache;
  send({}, 0, tag_request);
  for (;;) {
    int flag = 0;
    MPI_Status status;
    MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
    if (flag == 0) {
      nap();
      continue;
    }
    const std::string bytes = receive(status);
    if (status.MPI_TAG == tag_shutdown) return 0;
    const auto [job, payload] = split_job(bytes);
    try {
      const auto result = analysis::run_described(decode_job(payload), cache);
      send(with_job(job, analysis::encode(result)), 0, tag_result);
    } catch (const input_error& e) {
      std::string text;
      for (const auto& p : e.problems()) text += (text.empty() ? "" : "; ") + p.to_string();
      send(with_job(job, "i" + text), 0, tag_error);
    } catch (const std::exception& e) {
      send(with_job(job, std::string("x") + e.what()), 0, tag_error);
    }
  }
}

#endif

}  // namespace cesim::cli
