// impl/common: a first-in first-out queue that owns no memory while it is empty.
//
// std::deque allocates a map and a 512-byte block as soon as it is constructed; a client keeps
// four queues (outgoing, control frames, early frames, undelivered events) that are empty
// nearly all the time, and with 10,000 connections those blocks alone are 20 MiB. Fifo keeps
// its items in a vector from head_ on: it allocates on the first push; emptied, it keeps a
// small vector for the next burst and frees a large one; the consumed front is reclaimed once
// it is at least half the vector.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace tether {

template <class T>
class Fifo {
public:
    bool empty() const { return head_ == items_.size(); }
    std::size_t size() const { return items_.size() - head_; }

    T &front() { return items_[head_]; }

    void push_back(T item) { items_.push_back(std::move(item)); }

    void push_front(T item) {
        if (head_ > 0) {
            items_[--head_] = std::move(item);
        } else {
            items_.insert(items_.begin(), std::move(item));
        }
    }

    void pop_front() {
        items_[head_] = T();  // let go of what the item owns now, not at the next compaction
        ++head_;
        if (head_ == items_.size()) {
            if (items_.capacity() > kKeptCapacity) {
                clear();
            } else {
                items_.clear();
                head_ = 0;
            }
        } else if (head_ >= 32 && head_ * 2 >= items_.size()) {
            items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
    }

    // Empties the queue and returns its memory (an empty client owns none).
    void clear() {
        std::vector<T>().swap(items_);
        head_ = 0;
    }

    // Moves every item out, oldest first, and empties the queue.
    std::vector<T> take_all() {
        std::vector<T> out;
        out.reserve(size());
        for (std::size_t i = head_; i < items_.size(); ++i) out.push_back(std::move(items_[i]));
        clear();
        return out;
    }

private:
    static constexpr std::size_t kKeptCapacity = 16;
    std::vector<T> items_;
    std::size_t head_ = 0;
};

}  // namespace tether
